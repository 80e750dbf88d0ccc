using Akka.Actor;
using Akka.Event;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster;

/// <summary>
/// The net process's catcher of received frames that came too late (at <c>/user/dead-frames</c>). While net closes, the
/// driver, another process that closes after it, still hands up what its NIC receives (a peer's last FIN, a retransmission):
/// each <see cref="DriverProtocol.FrameReceivedEvent"/> is a CTRN the driver already shared into the stack's receive TS,
/// and once the receive worker has stopped it lands in this process's dead letters, where nobody would release it, and
/// the net process's leak report would name it. This actor, subscribed to the dead letters from before the stack stops,
/// takes each such frame (bare or in its <see cref="Traced"/> carrier) as its owner and releases it from
/// <c>rxTs</c> exactly once, and reports the count so far to <c>swept</c>. Anything else in the dead letters is left alone.
/// </summary>
internal sealed class DeadFrameSweeper : ReceiveActor
{
    private readonly MemoryManager _memory;
    private readonly TsId _rxTs;
    private readonly Action<int> _swept;
    private int _count;

    public DeadFrameSweeper(MemoryManager memory, TsId rxTs, Action<int> swept)
    {
        _memory = memory;
        _rxTs = rxTs;
        _swept = swept;
        Receive<AllDeadLetters>(dead =>
        {
            var message = dead.Message is Traced traced ? traced.Message : dead.Message;
            if (message is DriverProtocol.FrameReceivedEvent frame)
            {
                // The dead letter was the frame's last holder: this is its one release.
                _memory.Release(_rxTs, frame.Frame);
                _swept(++_count);
            }
        });
    }

    /// <summary>The actor's name in the net process.</summary>
    public const string Name = "dead-frames";

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
