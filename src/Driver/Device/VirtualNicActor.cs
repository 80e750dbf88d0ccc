using System.Buffers;
using Edsos.Driver.Wires;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Driver.Device.VirtualNicProtocol;

namespace Edsos.Driver.Device;

/// <summary>
/// The NIC as an actor (TS e.g. <c>/drivers/net/e1000/hw</c>): it owns a <see cref="VirtualNic"/>
/// and its wire end, and applies register writes, doorbells and arriving frames one at a time,
/// in mailbox order, raising interrupts as messages to the driver workers. Because a doorbell
/// only schedules the TX pass, doorbells queued together are handled as one batch with one
/// interrupt (interrupt moderation).
/// </summary>
public sealed class VirtualNicActor : EdsrtActor
{
    private readonly VirtualNic _nic;
    private readonly IWire _wire;
    private DeviceWireReceiver? _receiver;
    private IActorRef _txInterrupts = ActorRefs.Nobody;
    private IActorRef _rxInterrupts = ActorRefs.Nobody;
    private bool _txScheduled;

    /// <summary>Creates the device over the system's memory, attached to <paramref name="wire"/> once started.</summary>
    public VirtualNicActor(VirtualNicOptions options, IWire wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        _wire = wire;
        _nic = new VirtualNic(Context.System.Memory, options) { Faults = Context.System.Faults };

        Receive<ConfigureTx>(OnConfigureTx);
        Receive<ConfigureRx>(OnConfigureRx);
        Receive<TxDoorbell>(OnTxDoorbell);
        Receive<ProcessTxRing>(_ => OnProcessTx());
        Receive<RxDoorbell>(OnRxDoorbell);
        Receive<WireFrame>(OnWireFrame);
        Receive<EnableInterrupts>(m =>
        {
            _nic.EnableInterrupts(m.Causes);
            RaiseInterrupts();
        });
        Receive<DisableInterrupts>(m => _nic.DisableInterrupts(m.Causes));
        Receive<ResetDevice>(_ =>
        {
            // The port stays attached: frames arriving from now on find no ring and count as missed.
            _nic.Reset();
            Sender.Tell(new DeviceReset(_nic.Counters), Self);
        });
        Receive<QuiesceTx>(m =>
        {
            var head = _nic.Tdh;
            _nic.ResetTx();
            m.ReplyTo.Tell(new TxQuiesced(head), Self);
        });
        Receive<QuiesceRx>(m =>
        {
            var head = _nic.Rdh;
            _nic.ResetRx();
            m.ReplyTo.Tell(new RxQuiesced(head), Self);
        });
        Receive<GetDeviceCounters>(_ => Sender.Tell(_nic.Counters, Self));
        Receive<GetRegisters>(_ => Sender.Tell(
            new DeviceRegisters(
                Tdba: _nic.Tdba,
                Tdlen: _nic.Tdlen,
                Tdh: _nic.Tdh,
                Tdt: _nic.Tdt,
                Rdba: _nic.Rdba,
                Rdlen: _nic.Rdlen,
                Rdh: _nic.Rdh,
                Rdt: _nic.Rdt,
                InterruptMask: _nic.InterruptMask),
            Self));
        Receive<Fence>(m => m.ReplyTo.Tell(m.Reply, Self));
        Receive<CollectStatistics>(m => _rxInterrupts.Tell(m with { Device = _nic.Counters }, Self));
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _receiver = new DeviceWireReceiver(Self);
        _wire.Attach(_receiver);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        Detach();
        _nic.Dispose();
    }

    private void OnConfigureTx(ConfigureTx message)
    {
        _nic.ConfigureTx(message.Ring, message.Count);
        _txInterrupts = message.Interrupts;
    }

    private void OnConfigureRx(ConfigureRx message)
    {
        _nic.ConfigureRx(message.Ring, message.Count);
        _rxInterrupts = message.Interrupts;
    }

    private void OnTxDoorbell(TxDoorbell message)
    {
        if (_nic.Tdlen == 0)
        {
            // A doorbell racing a reset: the ring is gone, so there is nothing to fetch.
            return;
        }

        _nic.WriteTdt(message.Tail);
        if (!_txScheduled)
        {
            _txScheduled = true;
            Self.Tell(ProcessTxRing.Instance, Self);
        }
    }

    private void OnProcessTx()
    {
        _txScheduled = false;
        _nic.ProcessTx(_wire);
        RaiseInterrupts();
    }

    private void OnRxDoorbell(RxDoorbell message)
    {
        if (_nic.Rdlen != 0)
        {
            _nic.WriteRdt(message.Tail);
        }

        if (message.Unmask != InterruptCause.None)
        {
            _nic.EnableInterrupts(message.Unmask);
            RaiseInterrupts();
        }
    }

    private void OnWireFrame(WireFrame message)
    {
        try
        {
            _nic.Receive(message.Buffer.AsSpan(0, message.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message.Buffer);
        }

        Edsrt.ReturnHandled(message);

        RaiseInterrupts();
    }

    private void RaiseInterrupts()
    {
        var causes = _nic.TakeInterrupts();
        if ((causes & InterruptCause.TxDescriptorWritten) != 0)
        {
            _txInterrupts.Tell(TxInterrupt.Instance, Self);
        }

        if ((causes & InterruptCause.RxTimer) != 0)
        {
            _rxInterrupts.Tell(RxInterrupt.Instance, Self);
        }
    }

    private void Detach()
    {
        if (_receiver is not null)
        {
            _wire.Detach(_receiver);
            _receiver = null;
        }
    }
}
