using System.Diagnostics;
using Edsos.Driver.Ring;
using Edsos.Memory;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>
/// The driver's transmit logic over a TX <see cref="DescriptorRing"/>, without the actor around
/// it: validate and pin an skb, write one descriptor per physical extent, and on completion
/// unpin and pop. Generic in the reply target so it can be tested without a runtime.
/// <para>
/// Ownership: every skb handed to <see cref="Enqueue"/> is consumed. It is either refused at once
/// (popped, status returned) or pending until <see cref="Reclaim"/> or <see cref="Abort"/> unpins
/// and pops it. So nothing leaks whatever the outcome. Not thread-safe: one actor owns it.
/// </para>
/// </summary>
internal sealed class TxQueue<TReply>
{
    // An e1000 legacy descriptor carries at most 16288 bytes (8254x SDM 3.3.3); stay under it.
    private const int MaxBytesPerDescriptor = 16 * 1024 - 128;

    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly DescriptorRing _ring;
    private readonly int _maxDescriptorsPerFrame;
    private readonly int _maxFrameLength;
    private readonly Queue<Pending> _pending = new();

    public TxQueue(MemoryManager memory, TsId ts, DescriptorRing ring, int maxDescriptorsPerFrame, int maxFrameLength)
    {
        _memory = memory;
        _ts = ts;
        _ring = ring;
        _maxDescriptorsPerFrame = maxDescriptorsPerFrame;
        _maxFrameLength = maxFrameLength;
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
    /// or forged capability fails here), writes its descriptors and moves the ring's tail.
    /// Returns null when queued (the caller rings the doorbell with <see cref="DescriptorRing.Tail"/>),
    /// otherwise the status of the refusal, after the skb was unpinned and popped.
    /// </summary>
    public TxStatus? Enqueue(Capability skb, int length, ulong token, TReply replyTo)
    {
        var pinned = _memory.Pin(_ts, skb);
        if (!pinned.IsOk)
        {
            // Popping a lifted node fails harmlessly (lift already unmounted it); a live one with
            // too few rights must still go, since the driver owns it now.
            _memory.Pop(_ts, skb);
            Dropped++;
            return pinned.Error is MemoryError.RightsDenied or MemoryError.InvalidArgument ? TxStatus.Malformed : TxStatus.InvalidGva;
        }

        var pin = pinned.Value;
        var total = 0;
        var descriptors = 0;
        for (var i = 0; i < pin.Extents.Count; i++)
        {
            total += pin.Extents[i].Length;
            descriptors += (pin.Extents[i].Length + MaxBytesPerDescriptor - 1) / MaxBytesPerDescriptor;
        }

        TxStatus? refusal = null;
        if (total != length || length <= 0 || length > _maxFrameLength || descriptors > _maxDescriptorsPerFrame)
        {
            refusal = TxStatus.Malformed;
        }
        else if (descriptors > _ring.Free)
        {
            refusal = TxStatus.RingFull;
        }
        else if (!WriteDescriptors(pin))
        {
            // The ring node itself failed: nothing was produced, so the device sees nothing.
            refusal = TxStatus.Malformed;
        }

        if (refusal is not null)
        {
            _memory.Unpin(pin.PinId);
            _memory.Pop(_ts, skb);
            Dropped++;
            return refusal;
        }

        var first = _ring.Tail;
        _ring.Produce(descriptors);
        _pending.Enqueue(new Pending(skb, pin.PinId, _ring.Next(first, descriptors - 1), descriptors, token, length, replyTo));
        return null;
    }

    /// <summary>
    /// Reclaims every frame, oldest first, whose end-of-packet descriptor the device marked done:
    /// unpins and pops its skb and adds its completion to <paramref name="completions"/>. Stops
    /// at the first frame not yet done (the device completes in order). Returns how many it added.
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
            Release(pending);
            var sent = (status.Value.Status & TxDescriptorStatus.Ec) == 0;
            if (!sent)
            {
                Dropped++;
            }

            completions.Add(new TxCompletion<TReply>(pending.Token, pending.Length, sent ? TxStatus.Sent : TxStatus.DeviceError, pending.ReplyTo));
            reclaimed++;
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
        _memory.Pop(_ts, pending.Skb);
        _ring.Reclaim(pending.Descriptors);
    }

    private bool WriteDescriptors(DmaPin pin)
    {
        var slot = _ring.Tail;
        for (var i = 0; i < pin.Extents.Count; i++)
        {
            var extent = pin.Extents[i];
            var done = 0;
            while (done < extent.Length)
            {
                var chunk = Math.Min(MaxBytesPerDescriptor, extent.Length - done);
                var last = i == pin.Extents.Count - 1 && done + chunk == extent.Length;

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
