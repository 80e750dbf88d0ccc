using Akka.Actor;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster;

/// <summary>
/// The net process's stand-in for its host's driver, which runs in the <c>driver</c> process: the inet stack is
/// started with this actor as the driver's TX and RX worker. While the driver is up it forwards the stack's events to
/// the remote workers (in a <see cref="Traced"/> carrier, so the driver's spans join the send's trace) and passes the
/// completions back; it answers every transmit itself, so it knows which are in flight. When the driver process dies
/// (<see cref="DriverDown"/>) every transmit in flight and every later one completes at once as
/// <see cref="TxStatus.Aborted"/> (ENETDOWN to the sender) instead of waiting for a driver that is gone; when a driver
/// process is up again (<see cref="DriverUp"/>) the stack's <c>AttachTx</c> and <c>AttachRx</c> are sent to it again
/// and traffic resumes. The skbs of aborted transmits were CTRNs in the driver's TS: the reap of its process lifted them.
/// </summary>
internal sealed class DriverLink : EdsrtActor
{
    private readonly Dictionary<ulong, (IActorRef ReplyTo, ulong Token, int Length)> _inFlight = [];
    private IActorRef? _tx;
    private IActorRef? _rx;
    private DriverProtocol.AttachTx? _attachTx;
    private DriverProtocol.AttachRx? _attachRx;
    private readonly List<(DriverProtocol.XmitSkbEvent Xmit, IActorRef Sender)> _held = [];
    private readonly TsId _driverTs;
    private ulong _nextToken = 1;

    public DriverLink(TsId driverTs)
    {
        _driverTs = driverTs;
        Receive<DriverUp>(OnUp);
        Receive<DriverDown>(_ => OnDown());
        Receive<DriverProtocol.XmitSkbEvent>(OnXmit);
        Receive<DriverProtocol.SendCompleteEvent>(OnComplete);
        Receive<DriverProtocol.AttachTx>(attach =>
        {
            _attachTx = attach;
            _tx?.Tell(attach, Sender);
        });
        Receive<DriverProtocol.AttachRx>(attach =>
        {
            _attachRx = attach;
            _rx?.Tell(attach, Sender);
        });
        Receive<DriverProtocol.GetNicStatistics>(get =>
        {
            if (_tx is { } tx)
            {
                tx.Forward(get);
            }
            else
            {
                Sender.Tell(new DriverProtocol.NicStatistics(0, 0, 0, 0, 0, 0, 0, 0));
            }
        });
    }

    /// <summary>The driver process's TX and RX workers were found (first time or after a restart).</summary>
    public sealed record DriverUp(IActorRef Tx, IActorRef Rx);

    /// <summary>The driver process died: its workers will answer nothing more.</summary>
    public sealed record DriverDown
    {
        /// <summary>The one instance.</summary>
        public static DriverDown Instance { get; } = new();
    }

    private void OnUp(DriverUp up)
    {
        AbortInFlight();
        _tx = up.Tx;
        _rx = up.Rx;
        if (_attachTx is { } tx)
        {
            _tx.Tell(tx, tx.Client);
        }

        if (_attachRx is { } rx)
        {
            _rx.Tell(rx, rx.Handler);
        }

        foreach (var (xmit, _) in _held)
        {
            Forward(_tx, xmit);
        }

        _held.Clear();
    }

    private void OnDown()
    {
        _tx = null;
        _rx = null;
        AbortInFlight();
        foreach (var (xmit, _) in _held)
        {
            xmit.ReplyTo.Tell(new DriverProtocol.SendCompleteEvent(xmit.Token, xmit.Length, TxStatus.Aborted, 0), Self);
        }

        _held.Clear();
    }

    private void AbortInFlight()
    {
        foreach (var (_, pending) in _inFlight)
        {
            pending.ReplyTo.Tell(new DriverProtocol.SendCompleteEvent(pending.Token, pending.Length, TxStatus.Aborted, 0), Self);
        }

        _inFlight.Clear();
    }

    private void OnXmit(DriverProtocol.XmitSkbEvent xmit)
    {
        if (_tx is { } tx)
        {
            Forward(tx, xmit);
            return;
        }

        if (Memory.TryGetTs(_driverTs, out var driver) && driver.Alive)
        {
            // A restarted driver process revived its TS and the skb is its CTRN, but this link has not found the new
            // workers yet: hold the frame for them (only the driver may pop it).
            _held.Add((xmit, Sender));
            return;
        }

        // The driver is dead and reaped: the skb's CTRN was lifted with its TS (or the share failed before).
        xmit.ReplyTo.Tell(new DriverProtocol.SendCompleteEvent(xmit.Token, xmit.Length, TxStatus.Aborted, 0), Self);
    }

    private void Forward(IActorRef tx, DriverProtocol.XmitSkbEvent xmit)
    {
        ulong token = _nextToken++;
        _inFlight.Add(token, (xmit.ReplyTo, xmit.Token, xmit.Length));
        tx.TellTraced(xmit with { Token = token, ReplyTo = Self }, Self);
    }

    private void OnComplete(DriverProtocol.SendCompleteEvent complete)
    {
        // A completion from a driver already declared dead was answered as aborted: its token is gone.
        if (_inFlight.Remove(complete.Token, out var pending))
        {
            pending.ReplyTo.Tell(complete with { Token = pending.Token }, Self);
        }
    }
}
