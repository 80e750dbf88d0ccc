using Edsos.Driver.Device;
using Edsos.Driver.Wires;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>
/// Starts and stops NICs: one <see cref="VirtualNicActor"/> (TS <c>/drivers/net/&lt;name&gt;/hw</c>)
/// plus a <see cref="DriverTxWorker"/> and a <see cref="DriverRxWorker"/> (TS
/// <c>/drivers/net/&lt;name&gt;</c>) per NIC, all top-level actors of the system.
/// </summary>
public static class NicDriver
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Starts a NIC attached to <paramref name="wire"/> and returns at once; the rings are set up
    /// by the workers' first turns, so a frame arriving from the wire before that is counted as
    /// missed. Use <see cref="StartAsync"/> to wait until the NIC can receive. Throws
    /// <see cref="ArgumentException"/> for bad options (an RX buffer larger than an arena page among them) and <see cref="InvalidActorNameException"/>
    /// when a NIC of that name is running.
    /// </summary>
    public static NicHandle Start(ActorSystem system, NicOptions options, IWire wire)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(wire);
        options.Validate();
        int pageSize = system.Edsrt.Memory.PageSize;
        if (options.RxBufferSize > pageSize)
        {
            // A posted buffer must be one physically contiguous extent, and the arena promises that for one page only: once
            // it is fragmented a larger buffer cannot be posted, and the ring drains for good (measured with 16 KiB buffers).
            throw new ArgumentOutOfRangeException(nameof(options), options.RxBufferSize, $"an RX buffer is at most one arena page ({pageSize} bytes); frames longer than that need LargeFrames, which chains page-sized buffers");
        }

        var ts = system.Edsrt.EnsureTs(options.TsPath);
        var device = system.ActorOf(
            Props.Create(() => new VirtualNicActor(options.DeviceOptions, wire)).WithTs(options.DeviceTsPath),
            options.Name + "-hw");
        var txState = new DriverTxState();
        var tx = system.ActorOf(Props.Create(() => new DriverTxWorker(options, device, txState)).WithTs(options.TsPath), options.Name + "-tx");
        var rxState = new DriverRxState();
        var rx = system.ActorOf(Props.Create(() => new DriverRxWorker(options, device, rxState)).WithTs(options.TsPath), options.Name + "-rx");
        return new NicHandle(options.Name, ts, tx, rx, device, wire);
    }

    /// <summary>
    /// Starts a NIC like <see cref="Start"/> and completes once both rings are programmed into the
    /// device and the RX buffers are posted. Throws <see cref="AskTimeoutException"/> if that takes
    /// longer than <paramref name="timeout"/> (default 10 s).
    /// </summary>
    public static async Task<NicHandle> StartAsync(ActorSystem system, NicOptions options, IWire wire, TimeSpan? timeout = null)
    {
        var nic = Start(system, options, wire);
        var wait = timeout ?? s_defaultTimeout;
        await Task.WhenAll(
            nic.TxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), wait),
            nic.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), wait)).ConfigureAwait(false);
        return nic;
    }

    /// <summary>
    /// Starts two NICs connected back to back by a <see cref="LoopbackWire"/> pair and waits until
    /// both can receive. The names must differ.
    /// </summary>
    public static async Task<(NicHandle A, NicHandle B)> StartPairAsync(ActorSystem system, NicOptions a, NicOptions b, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Name == b.Name)
        {
            throw new ArgumentException($"two NICs need two names, both are '{a.Name}'", nameof(b));
        }

        var (wireA, wireB) = LoopbackWire.CreatePair();
        var first = StartAsync(system, a, wireA, timeout);
        var second = StartAsync(system, b, wireB, timeout);
        return (await first.ConfigureAwait(false), await second.ConfigureAwait(false));
    }

    /// <summary>
    /// Stops a NIC cleanly: resets the device (no more DMA), then has each
    /// worker complete its in-flight frames as <see cref="TxStatus.Aborted"/>, unpin and pop its
    /// buffers and ring, and finally stops the device and RX actors; the TX worker stays in its stopped
    /// phase, releasing and answering <see cref="TxStatus.Aborted"/> any skb still handed to it, until the runtime
    /// ends (it is stopped here only when its stop failed). Afterwards the NIC holds no arena memory. Throws <see cref="AskTimeoutException"/> if a step takes longer than
    /// <paramref name="timeout"/> (default 10 s); the actors' stop hooks still release what they hold.
    /// </summary>
    public static async Task StopAsync(ActorSystem system, NicHandle nic, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(nic);
        var wait = timeout ?? s_defaultTimeout;
        bool txStopped = false;
        try
        {
            await nic.Device.Ask<VirtualNicProtocol.DeviceReset>(new VirtualNicProtocol.ResetDevice(), wait).ConfigureAwait(false);
            await nic.TxWorker.Ask<WorkerProtocol.Stopped>(new WorkerProtocol.Stop(), wait).ConfigureAwait(false);
            txStopped = true;
            await nic.RxWorker.Ask<WorkerProtocol.Stopped>(new WorkerProtocol.Stop(), wait).ConfigureAwait(false);
        }
        finally
        {
            // A TX worker in its stopped phase stays until the runtime ends: an skb the stack still hands it (a TCP
            // timer firing during the host's close) is released and answered Aborted there, where a stopped actor
            // would leave it, shared into the driver's TS, in dead letters.
            if (!txStopped)
            {
                system.Stop(nic.TxWorker);
            }

            system.Stop(nic.RxWorker);
            system.Stop(nic.Device);
        }
    }

    /// <summary>Asks the NIC for its <see cref="DriverProtocol.NicStatistics"/>. Throws <see cref="AskTimeoutException"/> after <paramref name="timeout"/> (default 10 s).</summary>
    public static Task<DriverProtocol.NicStatistics> GetStatisticsAsync(NicHandle nic, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(nic);
        return nic.TxWorker.Ask<DriverProtocol.NicStatistics>(new DriverProtocol.GetNicStatistics(), timeout ?? s_defaultTimeout);
    }
}
