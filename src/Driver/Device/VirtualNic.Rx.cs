using Edsos.Driver.Ring;
using Edsos.Memory;
using Edsos.Scheduler.Faults;

namespace Edsos.Driver.Device;

/// <summary>
/// The receive side of the device model: a frame from the wire DMA-written into the posted buffers at RDH, its
/// checksums verified in the same pass (<see cref="RxChecksumCheck"/>), buffers that lie back to back written in one
/// DMA burst, and its descriptors fetched and written back in one DMA pass each (two where they wrap around the ring's
/// end), as a NIC fetches descriptors in bursts.
/// </summary>
public sealed partial class VirtualNic
{
    // The descriptors of the frame being received, as fetched and as written back (one ring's worth at most).
    private byte[] _rxDescriptors = [];

    /// <summary>
    /// Takes one frame from the wire: DMA-writes it into the buffer of the descriptor at RDH,
    /// writes its length and DD | EOP (with the checksum report), advances RDH and latches <see cref="InterruptCause.RxTimer"/>.
    /// With no descriptor posted (RDH == RDT) the frame is dropped and counted in RxMissed; a
    /// frame longer than a buffer is dropped and counted in RxErrors without using a descriptor,
    /// unless the device takes <see cref="VirtualNicOptions.LargeFrames"/>: such a frame then fills
    /// consecutive buffers (each descriptor DD with its own length, EOP on the last only), and is
    /// missed whole when fewer buffers are posted than it needs, or when its descriptors cannot be fetched.
    /// </summary>
    public RxOutcome Receive(ReadOnlySpan<byte> frame)
    {
        if (_rxRing is null || Rdh == Rdt)
        {
            _rxMissed++;
            return RxOutcome.Missed;
        }

        if (frame.Length > _options.ReceiveLimit || (frame.Length > _options.RxBufferSize && !_options.LargeFrames))
        {
            _rxErrors++;
            return RxOutcome.TooLong;
        }

        int buffers = Math.Max(1, (frame.Length + _options.RxBufferSize - 1) / _options.RxBufferSize);
        if (buffers > ((Rdt - Rdh) & (_rxCount - 1)))
        {
            _rxMissed++;
            return RxOutcome.Missed;
        }

        var descriptors = _rxDescriptors.AsSpan(0, buffers * LegacyRxDescriptor.Size);
        if (!AccessRing(_rxRing, _rxCount, Rdh, descriptors, write: false))
        {
            // The ring itself is unreachable: behave as if nothing was posted.
            _rxMissed++;
            return RxOutcome.Missed;
        }

        var injected = Faults?.Hit(DriverFaultPoints.RxDma, accept: FaultKind.TsExit | FaultKind.DmaFail) ?? FaultKind.None;
        var outcome = RxOutcome.Delivered;
        var checksum = _options.RxChecksumOffload ? RxChecksumCheck.Begin(frame) : RxChecksumCheck.Ignored;
        int size = _options.RxBufferSize;
        for (int i = 0; i < buffers;)
        {
            // A run of buffers that lie back to back in physical memory takes its bytes in one DMA burst.
            ulong address = LegacyRxDescriptor.Read(descriptors[(i * LegacyRxDescriptor.Size)..]).BufferAddress;
            int run = 1;
            while (i + run < buffers && LegacyRxDescriptor.Read(descriptors[((i + run) * LegacyRxDescriptor.Size)..]).BufferAddress == address + (ulong)(run * size))
            {
                run++;
            }

            int start = i * size;
            var bytes = frame.Slice(start, Math.Min(run * size, frame.Length - start));
            bool written = bytes.IsEmpty || (injected != FaultKind.DmaFail && _memory.DmaWrite(new PhysExtent(address, bytes.Length), bytes).IsOk);
            if (!written)
            {
                // RXE on the run's descriptors: the driver drops the frame whole.
                outcome = RxOutcome.DmaFault;
            }

            for (int k = 0; k < run; k++, i++)
            {
                var piece = bytes.Slice(k * size, Math.Min(size, bytes.Length - (k * size)));
                CompleteRxDescriptor(descriptors.Slice(i * LegacyRxDescriptor.Size, LegacyRxDescriptor.Size), piece, start + (k * size), last: i == buffers - 1, written, ref checksum);
            }
        }

        // Written back in one pass too. The addresses go back as they were fetched: between RDH and RDT the
        // descriptors are the device's, so the driver writes none of them meanwhile.
        AccessRing(_rxRing, _rxCount, Rdh, descriptors, write: true);
        Rdh = (Rdh + buffers) & (_rxCount - 1);
        if (outcome == RxOutcome.Delivered)
        {
            _framesReceived++;
            _bytesReceived += frame.Length;
        }
        else
        {
            _rxErrors++;
        }

        _icr |= InterruptCause.RxTimer;
        return outcome;
    }

    /// <summary>
    /// One descriptor of a received frame (<paramref name="slot"/>, its fetched bytes, completed in place) whose piece
    /// (the frame's bytes from <paramref name="frameOffset"/>) the DMA burst <paramref name="written"/> into its buffer:
    /// the piece is added to the receive checksum while it is fresh, and the descriptor gets its length, DD (and EOP
    /// with the checksum report when <paramref name="last"/>); a piece not written gets length 0 and RXE, so the ring
    /// moves on and the driver drops the frame.
    /// </summary>
    private static void CompleteRxDescriptor(Span<byte> slot, ReadOnlySpan<byte> piece, int frameOffset, bool last, bool written, ref RxChecksumCheck checksum)
    {
        var posted = LegacyRxDescriptor.Read(slot);
        RxDescriptorStatus status = RxDescriptorStatus.Dd;
        var errors = RxDescriptorErrors.None;
        var length = (ushort)piece.Length;
        if (written)
        {
            checksum.Add(frameOffset, piece);
        }
        else
        {
            errors = RxDescriptorErrors.Rxe;
            length = 0;
        }

        if (last)
        {
            // The checksum indication is valid on the EOP descriptor only (8254x SDM 3.2.3.1).
            status |= RxDescriptorStatus.Eop | checksum.Status;
            errors |= checksum.Errors;
        }

        new LegacyRxDescriptor(posted.BufferAddress, length, 0, status, (byte)errors, posted.Special).Write(slot);
    }

    /// <summary>
    /// Reads (or writes) <paramref name="bytes"/> as the consecutive descriptors from ring slot <paramref name="first"/>
    /// on: one DMA pass, or two when they wrap around the ring's end. False when the ring cannot be reached.
    /// </summary>
    private static bool AccessRing(DmaRegion ring, int count, int first, Span<byte> bytes, bool write)
    {
        int size = TxDescriptorLayout.Size;
        int head = Math.Min(bytes.Length, (count - first) * size);
        var part = bytes[..head];
        if (!(write ? ring.Write(first * size, part) : ring.Read(first * size, part)).IsOk)
        {
            return false;
        }

        var rest = bytes[head..];
        return rest.IsEmpty || (write ? ring.Write(0, rest) : ring.Read(0, rest)).IsOk;
    }
}
