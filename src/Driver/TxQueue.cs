using System.Diagnostics;
using Edsos.Driver.Ring;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>
/// The driver's transmit logic over a TX <see cref="DescriptorRing"/>, without the actor around
/// it: validate and pin an skb, write one descriptor per physical extent (legacy descriptors, or for
/// a TSO skb a TCP/IP context descriptor and TSE data descriptors), and on completion unpin and pop. Generic in the reply target so it can be tested without a runtime.
/// <para>
/// Ownership: every skb handed to <see cref="Enqueue"/> is consumed. It is either refused at once
/// (popped, status returned) or pending until <see cref="Reclaim"/> or <see cref="Abort"/> unpins
/// and pops it. So nothing leaks whatever the outcome. Not thread-safe: one actor owns it.
/// </para>
/// </summary>
internal sealed class TxQueue<TReply>
{
    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly DescriptorRing _ring;
    private readonly int _maxDescriptorsPerFrame;
    private readonly int _maxFrameLength;
    private readonly bool _tso;
    private readonly Queue<Pending> _pending = new();

    // The extents of the skb being enqueued: reused by every pin, so a frame allocates no extent array.
    private PhysExtent[] _extents = new PhysExtent[8];

    // The pins and skbs one Reclaim completes, unpinned and popped as two batches (one arena lock each, not two
    // per frame). At most one per ring slot.
    private readonly ulong[] _donePins;
    private readonly Capability[] _doneSkbs;

    public TxQueue(MemoryManager memory, TsId ts, DescriptorRing ring, int maxDescriptorsPerFrame, int maxFrameLength, bool tso = false)
    {
        _tso = tso;
        _memory = memory;
        _ts = ts;
        _ring = ring;
        _maxDescriptorsPerFrame = maxDescriptorsPerFrame;
        _maxFrameLength = maxFrameLength;
        _donePins = new ulong[ring.Count];
        _doneSkbs = new Capability[ring.Count];
    }

    /// <summary>The ring (for its tail and addresses).</summary>
    public DescriptorRing Ring => _ring;

    /// <summary>Descriptors free for new frames.</summary>
    public int FreeDescriptors => _ring.Free;

    /// <summary>Descriptors handed to the device and not yet reclaimed.</summary>
    public int InUse => _ring.InUse;

    /// <summary>Frames in flight.</summary>
    public int PendingFrames => _pending.Count;

    /// <summary>The skb of the oldest frame in flight, or default when none is (what an injection point at completion names).</summary>
    public Capability OldestSkb => _pending.TryPeek(out var pending) ? pending.Skb : default;

    /// <summary>Frames refused or failed (invalid GVA, ring full, malformed, device error).</summary>
    public long Dropped { get; private set; }

    /// <summary>
    /// Queues <paramref name="skb"/> for transmission: pins it (the TLB check: a lifted, popped
    /// or forged capability fails here), writes its descriptors and moves the ring's tail. With
    /// <paramref name="offload"/> the skb is a TSO super-frame: a context descriptor, then one TSE
    /// data descriptor per extent (their 20-bit lengths need no split). Returns null when queued (the
    /// caller rings the doorbell with <see cref="DescriptorRing.Tail"/>), otherwise the status of the
    /// refusal, after the skb was unpinned and popped: <see cref="TxStatus.OffloadUnsupported"/> for an
    /// offload without TSO enabled, <see cref="TxStatus.Malformed"/> for a bad length or offload,
    /// <see cref="TxStatus.RingFull"/>, <see cref="TxStatus.InvalidGva"/>.
    /// </summary>
    public TxStatus? Enqueue(Capability skb, int length, TxOffload? offload, ulong token, TReply replyTo)
    {
        if (offload is not null && !_tso)
        {
            // Never fall back to sending the super-frame whole: it is longer than any frame the wire takes.
            _memory.Release(_ts, skb);
            Dropped++;
            return TxStatus.OffloadUnsupported;
        }

        var pinned = _memory.Pin(_ts, skb, ref _extents, out int extentCount);
        if (!pinned.IsOk)
        {
            // Popping a lifted node fails harmlessly (lift already unmounted it); a live one with
            // too few rights must still go, since the driver owns it now.
            _memory.Release(_ts, skb);
            Dropped++;
            return pinned.Error is MemoryError.RightsDenied or MemoryError.InvalidArgument ? TxStatus.Malformed : TxStatus.InvalidGva;
        }

        var pinId = pinned.Value;
        var extents = new ReadOnlySpan<PhysExtent>(_extents, 0, extentCount);
        var total = 0;
        for (var i = 0; i < extents.Length; i++)
        {
            total += extents[i].Length;
        }

        // The same count the qdisc took credit for (one rule, TxDescriptorBudget).
        var descriptors = TxDescriptorBudget.ForFrame(extents, offload is not null);

        TxStatus? refusal = null;
        bool fits = offload is null ? length <= _maxFrameLength : offload.Fits(length, _maxFrameLength);
        if (total != length || length <= 0 || !fits || descriptors > _maxDescriptorsPerFrame)
        {
            refusal = TxStatus.Malformed;
        }
        else if (descriptors > _ring.Free)
        {
            refusal = TxStatus.RingFull;
        }
        else if (!(offload is null ? WriteDescriptors(extents) : WriteTsoDescriptors(extents, length, offload)))
        {
            // The ring node itself failed: nothing was produced, so the device sees nothing.
            refusal = TxStatus.Malformed;
        }

        if (refusal is not null)
        {
            _memory.Unpin(pinId);
            _memory.Release(_ts, skb);
            Dropped++;
            return refusal;
        }

        var first = _ring.Tail;
        _ring.Produce(descriptors);
        _pending.Enqueue(new Pending(skb, pinId, _ring.Next(first, descriptors - 1), descriptors, token, length, replyTo));
        return null;
    }

    /// <summary>
    /// Reclaims every frame, oldest first, whose end-of-packet descriptor the device marked done:
    /// unpins and pops its skb and adds its completion to <paramref name="completions"/>. Stops
    /// at the first frame not yet done (the device completes in order). Returns how many it added.
    /// The done frames' pins are released, then their skbs popped, each as one batch
    /// (<see cref="MemoryManager.UnpinAll"/>, <see cref="MemoryManager.ReleaseAll"/>), before it returns.
    /// </summary>
    public int Reclaim(List<TxCompletion<TReply>> completions)
    {
        var reclaimed = 0;
        while (_pending.TryPeek(out var pending))
        {
            var status = _ring.ReadTx(pending.LastSlot);
            if (!status.IsOk || (status.Value.Status & TxDescriptorStatus.Dd) == 0)
            {
                break;
            }

            _pending.Dequeue();

            // At most one pending frame per ring slot, so the batch arrays never overflow.
            _donePins[reclaimed] = pending.PinId;
            _doneSkbs[reclaimed] = pending.Skb;
            _ring.Reclaim(pending.Descriptors);
            var sent = (status.Value.Status & TxDescriptorStatus.Ec) == 0;
            if (!sent)
            {
                Dropped++;
            }

            completions.Add(new TxCompletion<TReply>(pending.Token, pending.Length, sent ? TxStatus.Sent : TxStatus.DeviceError, pending.ReplyTo));
            reclaimed++;
        }

        if (reclaimed > 0)
        {
            _memory.UnpinAll(_donePins.AsSpan(0, reclaimed));

            // Fails harmlessly for an skb whose origin TS exited meanwhile: lift unmounted it already.
            _memory.ReleaseAll(_ts, _doneSkbs.AsSpan(0, reclaimed));
            Array.Clear(_doneSkbs, 0, reclaimed);
        }

        return reclaimed;
    }

    /// <summary>
    /// Shutdown, after the device was reset: every pending frame is unpinned and popped and
    /// reported <see cref="TxStatus.Aborted"/> (or <see cref="TxStatus.Sent"/> if the device
    /// already finished it); then the ring itself is released.
    /// </summary>
    public void Abort(List<TxCompletion<TReply>> completions)
    {
        Reclaim(completions);
        while (_pending.TryDequeue(out var pending))
        {
            Release(pending);
            Dropped++;
            completions.Add(new TxCompletion<TReply>(pending.Token, pending.Length, TxStatus.Aborted, pending.ReplyTo));
        }

        _ring.Release();
    }

    private void Release(Pending pending)
    {
        _memory.Unpin(pending.PinId);

        // Fails harmlessly if the skb's origin TS exited meanwhile: lift unmounted it already.
        _memory.Release(_ts, pending.Skb);
        _ring.Reclaim(pending.Descriptors);
    }

    private bool WriteDescriptors(ReadOnlySpan<PhysExtent> extents)
    {
        var slot = _ring.Tail;
        for (var i = 0; i < extents.Length; i++)
        {
            var extent = extents[i];
            var done = 0;
            while (done < extent.Length)
            {
                var chunk = Math.Min(TxDescriptorBudget.MaxBytesPerLegacyDescriptor, extent.Length - done);
                var last = i == extents.Length - 1 && done + chunk == extent.Length;

                // RS only on the last descriptor: one DD write-back per frame is all the driver reads.
                var command = TxCommand.Ifcs | (last ? TxCommand.Eop | TxCommand.Rs : TxCommand.None);
                var descriptor = LegacyTxDescriptor.ForBuffer(extent.Address + (ulong)done, (ushort)chunk, command);
                if (!_ring.WriteTx(slot, descriptor).IsOk)
                {
                    return false;
                }

                ActorTracing.Recording?.AddEvent(DescriptorEvent(slot, extent.Address + (ulong)done, chunk, last));

                slot = _ring.Next(slot);
                done += chunk;
            }
        }

        return true;
    }

    private bool WriteTsoDescriptors(ReadOnlySpan<PhysExtent> extents, int length, TxOffload offload)
    {
        // The context first (8254x SDM 3.5.x): it occupies its own slot; no RS, the frame's last data descriptor reports.
        var slot = _ring.Tail;
        var context = TcpIpContextTxDescriptor.ForTcpSegmentation(
            offload.NetworkOffset, offload.TransportOffset, offload.HeaderLength, length - offload.HeaderLength, offload.Mss);
        if (!_ring.WriteTx(slot, context).IsOk)
        {
            return false;
        }

        ActorTracing.Recording?.AddEvent(ContextEvent(slot, offload, length - offload.HeaderLength));
        slot = _ring.Next(slot);
        for (var i = 0; i < extents.Length; i++)
        {
            var extent = extents[i];
            var last = i == extents.Length - 1;
            var command = TxDataCommand.Tse | TxDataCommand.Ifcs | (last ? TxDataCommand.Eop | TxDataCommand.Rs : TxDataCommand.None);

            // POPTS counts in a packet's first data descriptor: insert both checksums in every segment.
            var options = i == 0 ? TxPacketOptions.Ixsm | TxPacketOptions.Txsm : TxPacketOptions.None;
            if (!_ring.WriteTx(slot, TcpIpDataTxDescriptor.ForBuffer(extent.Address, extent.Length, command, options)).IsOk)
            {
                return false;
            }

            ActorTracing.Recording?.AddEvent(DescriptorEvent(slot, extent.Address, extent.Length, last));
            slot = _ring.Next(slot);
        }

        return true;
    }

    private static ActivityEvent ContextEvent(int slot, TxOffload offload, int payloadLength) =>
        new("tx_context_descriptor", tags: new ActivityTagsCollection
        {
            { "edsos.op", "tx_context_descriptor" },
            { "edsos.desc.index", slot },
            { "edsos.tso.mss", offload.Mss },
            { "edsos.tso.hdrlen", offload.HeaderLength },
            { "edsos.tso.paylen", payloadLength },
        });

    private static ActivityEvent DescriptorEvent(int slot, ulong physical, int length, bool last) =>
        new("tx_descriptor", tags: new ActivityTagsCollection
        {
            { "edsos.op", "tx_descriptor" },
            { "edsos.desc.index", slot },
            { "edsos.phys", $"0x{physical:X}" },
            { "edsos.len", length },
            { "edsos.desc.eop", last },
        });

    private readonly record struct Pending(Capability Skb, ulong PinId, int LastSlot, int Descriptors, ulong Token, int Length, TReply ReplyTo);
}
