using System.Diagnostics;
using Edsos.Driver;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;

namespace Edsos.Protocol.Qdisc;

/// <summary>
/// The device queue of seed 003 steps 8-10: frames are queued in a <see cref="PfifoFast{T}"/> and handed
/// to the driver's TX worker at most <see cref="InetStackOptions.QdiscQuota"/> per run (Linux
/// <c>__qdisc_run</c>); a run that used up its quota with frames left sends itself
/// <see cref="QdiscProtocol.NetTxAction"/> (NET_TX_SOFTIRQ) so other mail is handled in between. A frame
/// goes out only while the driver's ring has room for the frame's descriptors, counted by the driver's own
/// rule (<see cref="TxDescriptorBudget"/>) in a <see cref="TxCreditLedger"/>; otherwise the qdisc waits for a
/// completion (netif_wake_queue). Each frame is <c>ct_share</c>d into the driver's TS; the qdisc keeps its own node
/// until the driver's <see cref="DriverProtocol.SendCompleteEvent"/> and then pops it.
/// </summary>
/// <remarks>
/// Phases: running, then quiesced (<see cref="InetStackProtocol.Quiesce"/>, by <c>Become</c>): a quiesced
/// qdisc refuses new frames with <see cref="Errno.ENETDOWN"/> and sends nothing more; completions are still
/// taken so every node is popped once.
/// </remarks>
public sealed class QdiscWorker : EdsrtActor
{
    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly IActorRef _driver;
    private readonly TsId _driverTs;
    private readonly int _quota;
    private readonly PfifoFast<QueuedSkb> _queue;
    private readonly Dictionary<ulong, QueuedSkb> _inFlight = new();
    private readonly Func<QueuedSkb, bool> _transmit;
    private readonly ActorTracing _tracing;
    private readonly KeyValuePair<string, object?> _hostTag;

    private readonly TxCreditLedger _credit = new();
    private readonly bool _batching;
    private readonly BatchOutbox<DriverBatchProtocol.XmitSkbBatchEvent, DriverProtocol.XmitSkbEvent> _toDriver = new();
    private readonly BatchOutbox<QdiscProtocol.SkbSentBatchEvent, QdiscProtocol.SkbSentEvent> _toOwners = new();
    private bool _runScheduled;
    private ulong _nextDriverToken = 1;

    private long _enqueued;
    private long _dropped;
    private long _transmitted;
    private long _completed;
    private long _runs;
    private long _reschedules;
    private long _blocked;

    /// <summary>Creates the qdisc; <see cref="InetStack.Start"/> does this.</summary>
    public QdiscWorker(InetStackOptions options, MemoryManager memory, IActorRef driverTx, TsId driverTs)
    {
        _memory = memory;
        _ts = Ts;
        _driver = driverTx;
        _driverTs = driverTs;
        _quota = options.QdiscQuota;
        _batching = options.Batching;
        _queue = new PfifoFast<QueuedSkb>(options.QdiscLimit);
        _transmit = TryTransmit;
        _tracing = Context.System.Tracing;
        _hostTag = EdsosMetrics.HostTag(Context.System);

        Running();
    }

    /// <summary>The normal phase: frames are queued and handed to the driver as credit allows.</summary>
    private void Running()
    {
        Receive<QdiscProtocol.DevQueueXmit>(xmit =>
        {
            if (Enqueue(xmit) && !_runScheduled)
            {
                Run();
            }

            Edsrt.ReturnHandled(xmit);
        });
        Receive<QdiscProtocol.DevQueueXmitBatch>(batch =>
        {
            // Every frame of the batch queued first, then one run: the driver gets them in one batch.
            bool queued = false;
            for (int i = 0; i < batch.Count; i++)
            {
                queued |= Enqueue(batch[i]);
                Edsrt.ReturnHandled(batch[i]);
            }

            if (queued && !_runScheduled)
            {
                Run();
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<QdiscProtocol.NetTxAction>(_ =>
        {
            _runScheduled = false;
            Run();
        });
        Receive<DriverProtocol.TxCredit>(OnCredit);
        Receive<DriverProtocol.SendCompleteEvent>(complete =>
        {
            OnSendComplete(complete);
            Edsrt.ReturnHandled(complete);
        });
        Receive<DriverBatchProtocol.SendCompleteBatchEvent>(batch =>
        {
            // The owners hear of these completions in one batch each; the freed room is used by one run.
            bool completed = false;
            _toOwners.Open();
            try
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    completed |= Complete(batch[i]);
                    Edsrt.ReturnHandled(batch[i]);
                }
            }
            finally
            {
                _toOwners.Flush(Self);
            }

            if (completed && !_runScheduled)
            {
                Run();
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            Become(Quiesced);
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(QdiscWorker)), Self);
        });
        Common();
    }

    /// <summary>The stack is stopping: new frames are refused, nothing more is handed to the driver.</summary>
    private void Quiesced()
    {
        Receive<QdiscProtocol.DevQueueXmit>(xmit =>
        {
            Refuse(xmit);
            Edsrt.ReturnHandled(xmit);
        });
        Receive<QdiscProtocol.DevQueueXmitBatch>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Refuse(batch[i]);
                Edsrt.ReturnHandled(batch[i]);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<QdiscProtocol.NetTxAction>(_ => _runScheduled = false);
        Receive<DriverProtocol.TxCredit>(credit => _credit.OnCredit(credit.FreeDescriptors));
        Receive<DriverProtocol.SendCompleteEvent>(complete =>
        {
            Complete(complete);
            Edsrt.ReturnHandled(complete);
        });
        Receive<DriverBatchProtocol.SendCompleteBatchEvent>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Complete(batch[i]);
                Edsrt.ReturnHandled(batch[i]);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<InetStackProtocol.Quiesce>(_ => Sender.Tell(new InetStackProtocol.Quiesced(nameof(QdiscWorker)), Self));
        Common();
    }

    private void Common()
    {
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(Snapshot(), Self));
        Receive<InetStackProtocol.Release>(_ => Sender.Tell(new InetStackProtocol.Released(nameof(QdiscWorker), ReleaseAll()), Self));
    }

    /// <inheritdoc />
    protected override void PreStart() => _driver.Tell(new DriverProtocol.AttachTx(Self, _batching), Self);

    /// <summary>A quiesced qdisc's answer to a frame: popped, its owner told ENETDOWN.</summary>
    private void Refuse(QdiscProtocol.DevQueueXmit xmit)
    {
        NodeOps.Release(_memory, _ts, xmit.Skb);
        xmit.Owner.Tell(QdiscProtocol.SkbSentEvent.Rent(xmit.Token, Errno.ENETDOWN), Self);
    }

    /// <summary>Queues one frame; false when it was refused (its node popped, its owner answered).</summary>
    private bool Enqueue(QdiscProtocol.DevQueueXmit xmit)
    {
        // The descriptor count (the driver's rule) and the GVA for ct_share are fixed at enqueue.
        var info = _memory.Locate(_ts, xmit.Skb);
        var descriptors = info.IsOk
            ? TxDescriptorBudget.Count(_memory, _ts, xmit.Skb, info.Value, xmit.Offload is not null)
            : info.AsResult();
        if (!descriptors.IsOk)
        {
            NodeOps.Release(_memory, _ts, xmit.Skb);
            xmit.Owner.Tell(QdiscProtocol.SkbSentEvent.Rent(xmit.Token, NodeOps.ToErrno(descriptors.Error)), Self);
            return false;
        }

        // The cause rides with the frame: a later run (a reschedule, a TX credit) sends it under its own syscall's trace.
        var queued = new QueuedSkb(xmit.Skb, info.Value.Gva, xmit.Length, descriptors.Value, xmit.Token, xmit.Owner, xmit.Offload, ActorTracing.CaptureCause());
        var injected = Context.System.Faults.Hit(StackFaultPoints.Qdisc, _ts, xmit.Skb, FaultKind.TsExit | FaultKind.QdiscFull | FaultKind.SocketClose);
        if (injected == FaultKind.QdiscFull || !_queue.Enqueue(queued, xmit.Priority))
        {
            _dropped++;
            NodeOps.Release(_memory, _ts, xmit.Skb);
            xmit.Owner.Tell(QdiscProtocol.SkbSentEvent.Rent(xmit.Token, Errno.ENOBUFS), Self);
            return false;
        }

        _enqueued++;
        QdiscMetrics.QdiscBacklog.Add(1, _hostTag);
        return true;
    }

    private void OnCredit(DriverProtocol.TxCredit credit)
    {
        _credit.OnCredit(credit.FreeDescriptors);
        if (!_runScheduled)
        {
            Run();
        }
    }

    private void OnSendComplete(DriverProtocol.SendCompleteEvent complete)
    {
        if (Complete(complete) && !_runScheduled)
        {
            Run();
        }
    }

    /// <summary>Pops the completed frame's node and answers its owner; false for an unknown token.</summary>
    private bool Complete(DriverProtocol.SendCompleteEvent complete)
    {
        if (!_inFlight.Remove(complete.Token, out QueuedSkb skb))
        {
            return false;
        }

        _completed++;
        _credit.Return(skb.Descriptors);
        NodeOps.Release(_memory, _ts, skb.Skb);
        Errno error = complete.Status switch
        {
            TxStatus.Sent => Errno.None,
            TxStatus.InvalidGva => Errno.EFAULT,
            TxStatus.RingFull => Errno.ENOBUFS,
            TxStatus.Aborted => Errno.ENETDOWN,
            TxStatus.DeviceError => Errno.EIO,
            TxStatus.OffloadUnsupported => Errno.EOPNOTSUPP,
            _ => Errno.EMSGSIZE,
        };
        var sent = QdiscProtocol.SkbSentEvent.Rent(skb.Token, error);
        if (!_toOwners.TryAdd(skb.Owner, sent))
        {
            skb.Owner.Tell(sent, Self);
        }

        return true;
    }

    private void Run()
    {
        // A ring with no free descriptor is a stopped queue (netif_queue_stopped): do not even dequeue.
        if (_queue.Count == 0 || _credit.Stopped)
        {
            return;
        }

        _runs++;
        QdiscRunResult result;
        if (_batching)
        {
            // With batching the run's frames reach the driver in one XmitSkbBatchEvent (one doorbell, one DMA pass).
            _toDriver.Open();
            try
            {
                result = _queue.Run(_quota, _transmit);
            }
            finally
            {
                _toDriver.Flush(Self);
            }
        }
        else
        {
            result = _queue.Run(_quota, _transmit);
        }

        switch (result)
        {
            case QdiscRunResult.QuotaExhausted:
                _reschedules++;
                _runScheduled = true;
                Self.Tell(QdiscProtocol.NetTxAction.Instance, Self);
                break;

            case QdiscRunResult.DeviceBusy:
                _blocked++;
                break;
        }
    }

    /// <summary>Hands one frame to the driver, or returns false (requeued) when the ring lacks descriptors.</summary>
    private bool TryTransmit(QueuedSkb skb)
    {
        if (!_credit.CanSend(skb.Descriptors))
        {
            return false;
        }

        QdiscMetrics.QdiscBacklog.Add(-1, _hostTag);
        using var resumed = _tracing.Resume(skb.Cause, "qdisc_restart");
        var shared = _memory.CtShare(_ts, skb.Skb, skb.Gva, skb.Length, _driverTs, "skb", skb.Skb.Rights & (Rights.Read | Rights.Map));
        if (!shared.IsOk)
        {
            // Revoked under us (the payload's TS exited): drop it here, it would fail at the driver anyway.
            NodeOps.Release(_memory, _ts, skb.Skb);
            skb.Owner.Tell(QdiscProtocol.SkbSentEvent.Rent(skb.Token, NodeOps.ToErrno(shared.Error)), Self);
            return true;
        }

        ulong token = _nextDriverToken++;
        _inFlight.Add(token, skb);
        _credit.Take(skb.Descriptors);
        _transmitted++;
        var xmit = DriverProtocol.XmitSkbEvent.Rent(shared.Value, skb.Length, token, Self, skb.Offload);
        if (!_toDriver.TryAdd(_driver, xmit))
        {
            _driver.Tell(xmit, Self);
        }
        return true;
    }

    private int ReleaseAll()
    {
        int popped = 0;
        while (_queue.TryDequeue(out QueuedSkb skb))
        {
            QdiscMetrics.QdiscBacklog.Add(-1, _hostTag);
            popped += NodeOps.Release(_memory, _ts, skb.Skb);
        }

        // The driver owns its CTRNs of these and pops them on completion; ours go now.
        foreach (QueuedSkb skb in _inFlight.Values)
        {
            popped += NodeOps.Release(_memory, _ts, skb.Skb);
        }

        _inFlight.Clear();
        _credit.Clear();
        return popped;
    }

    private QdiscCounters Snapshot() => new(
        Enqueued: _enqueued,
        Dropped: _dropped,
        Transmitted: _transmitted,
        Completed: _completed,
        Runs: _runs,
        Reschedules: _reschedules,
        Blocked: _blocked,
        Backlog: _queue.Count,
        InFlight: _inFlight.Count,
        Credit: _credit.Credit);

    /// <summary>A queued frame: its node, where it starts, and what it needs of the ring.</summary>
    private readonly record struct QueuedSkb(Capability Skb, Gva Gva, int Length, int Descriptors, ulong Token, IActorRef Owner, TxOffload? Offload, ActivityContext Cause);
}
