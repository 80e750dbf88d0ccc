using System.Buffers;
using System.Buffers.Binary;
using Edsos.Driver.Ring;
using Edsos.Driver.Wires;

namespace Edsos.Driver.Device;

/// <summary>
/// TCP segmentation offload, the e1000 way (8254x SDM 3.3.6, 3.3.7 and 3.5): a TCP/IP context
/// descriptor loads the segmentation context (header offsets, HDRLEN, PAYLEN, MSS); the next frame of
/// TSE data descriptors is one super-frame (HDRLEN header bytes, then PAYLEN payload bytes), which
/// the device gathers by DMA and cuts into ceil(PAYLEN / MSS) frames. Each frame is the header
/// template plus up to MSS payload bytes, with the per-segment fixes the hardware makes: IPv4 total
/// length, identification + segment index, IPv4 header checksum (IXSM); TCP sequence number + payload
/// offset, FIN and PSH kept on the last segment only, CWR on the first only, and the TCP checksum over
/// pseudo-header, header and the segment's payload (TXSM). The model computes both checksums from the
/// segment's own bytes; whatever the driver left in the checksum fields is ignored. With
/// <see cref="VirtualNicOptions.LargeFrames"/> the super-frame is not cut: it leaves as one frame, fixed up as one
/// segment (virtio-net's HOST_TSO4 towards a peer that offers GUEST_TSO4).
/// </summary>
public sealed partial class VirtualNic
{
    /// <summary>The most payload bytes (PAYLEN) one TSO super-frame may carry: 64 KiB.</summary>
    public const int MaxTsoPayload = 64 * 1024;

    /// <summary>The longest header template (HDRLEN is 8 bits).</summary>
    public const int MaxTsoHeaderLength = byte.MaxValue;

    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;
    private const byte IpProtocolTcp = 6;

    private TcpIpContextTxDescriptor? _tsoContext;
    private long _tsoFrames;
    private long _tsoSegments;

    /// <summary>The TSO context the last context descriptor loaded (null after a reset or before any).</summary>
    public TcpIpContextTxDescriptor? TsoContext => _tsoContext;

    private void LoadContext(in TcpIpContextTxDescriptor context, int slot)
    {
        _tsoContext = context;
        if ((context.Command & TxContextCommand.Rs) != 0)
        {
            Span<byte> status = [(byte)TxDescriptorStatus.Dd];
            _txRing!.Write((slot * TxDescriptorLayout.Size) + TxDescriptorLayout.StatusOffset, status);
        }
    }

    /// <summary>
    /// Gathers the TSE frame of <paramref name="count"/> fetched descriptors and sends its segments.
    /// False, with nothing sent, when the device lacks TSO, no usable context is loaded, the
    /// descriptors do not add up to HDRLEN + PAYLEN, a buffer cannot be read, or the header is not
    /// the IPv4/TCP header the context describes.
    /// </summary>
    private bool SendTso(IWire wire, int count, TxPacketOptions options, out int frames)
    {
        frames = 0;
        if (!_options.Tso || _tsoBuffer is null || _tsoContext is not { } context || !IsUsable(context))
        {
            return false;
        }

        int headerLength = context.HeaderLength;
        int total = headerLength + context.PayloadLength;
        int ip = context.IpChecksumStart;
        int ipEnd = IpChecksumEnd(context);
        int tcp = context.TcpChecksumStart;
        if (_options.LargeFrames && total <= _options.ReceiveLimit && total - ip <= ushort.MaxValue)
        {
            return SendWhole(wire, count, context, options, total, out frames);
        }

        if (!GatherFrame(count, _tsoBuffer, total, out var length) || length != total)
        {
            return false;
        }

        ReadOnlySpan<byte> super = _tsoBuffer.AsSpan(0, total);
        if (!HeadersMatch(context, super))
        {
            return false;
        }

        ushort identification = BinaryPrimitives.ReadUInt16BigEndian(super[(ip + 4)..]);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(super[(tcp + 4)..]);
        byte flags = super[tcp + 13];
        int mss = context.Mss;
        int segments = (context.PayloadLength + mss - 1) / mss;
        for (int i = 0; i < segments; i++)
        {
            int offset = i * mss;
            int payload = Math.Min(mss, context.PayloadLength - offset);
            // Each segment in a frame buffer of its own, handed to the wire whole (no copy on an in-process wire).
            var segment = ArrayPool<byte>.Shared.Rent(headerLength + payload);
            Span<byte> frame = segment.AsSpan(0, headerLength + payload);
            super[..headerLength].CopyTo(frame);
            super.Slice(headerLength + offset, payload).CopyTo(frame[headerLength..]);

            BinaryPrimitives.WriteUInt16BigEndian(frame[(ip + 4)..], unchecked((ushort)(identification + i)));
            BinaryPrimitives.WriteUInt32BigEndian(frame[(tcp + 4)..], unchecked(sequence + (uint)offset));
            byte segmentFlags = flags;
            if (i < segments - 1)
            {
                segmentFlags &= unchecked((byte)~(TcpFin | TcpPsh));
            }

            if (i > 0)
            {
                segmentFlags &= unchecked((byte)~TcpCwr);
            }

            frame[tcp + 13] = segmentFlags;
            FixSegment(context, options, frame, ip, ipEnd, tcp, headerLength, payload);
            wire.TransmitOwned(segment, frame.Length);
            _framesSent++;
            _bytesSent += frame.Length;
        }

        _tsoFrames++;
        _tsoSegments += segments;
        frames = segments;
        return true;
    }

    /// <summary>
    /// The peer takes large frames: the super-frame is gathered into a frame buffer of its own, fixed up once as one
    /// segment and handed to the wire whole (<see cref="IWire.TransmitOwned"/>), so an in-process wire passes it to the
    /// peer's device without copying it again. False, with nothing sent, as <see cref="SendTso"/>.
    /// </summary>
    private bool SendWhole(IWire wire, int count, in TcpIpContextTxDescriptor context, TxPacketOptions options, int total, out int frames)
    {
        frames = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        if (!GatherFrame(count, buffer, total, out var length) || length != total || !HeadersMatch(context, buffer.AsSpan(0, total)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }

        FixSegment(context, options, buffer.AsSpan(0, total), context.IpChecksumStart, IpChecksumEnd(context), context.TcpChecksumStart, context.HeaderLength, total - context.HeaderLength);
        wire.TransmitOwned(buffer, total);
        _framesSent++;
        _bytesSent += total;
        _tsoFrames++;
        _tsoSegments++;
        frames = 1;
        return true;
    }

    /// <summary>
    /// The per-segment fixes that do not depend on the segment's place: IPv4 total length, and the IPv4 header
    /// checksum (IXSM) and the TCP checksum over pseudo-header, header and payload (TXSM) when asked for.
    /// </summary>
    private static void FixSegment(in TcpIpContextTxDescriptor context, TxPacketOptions options, Span<byte> frame, int ip, int ipEnd, int tcp, int headerLength, int payload)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame[(ip + 2)..], (ushort)(headerLength - ip + payload));
        if ((options & TxPacketOptions.Ixsm) != 0)
        {
            frame.Slice(context.IpChecksumOffset, 2).Clear();
            ushort ipChecksum = DeviceChecksum.Finish(DeviceChecksum.Add(0, frame[ip..(ipEnd + 1)]));
            BinaryPrimitives.WriteUInt16BigEndian(frame[context.IpChecksumOffset..], ipChecksum);
        }

        if ((options & TxPacketOptions.Txsm) != 0)
        {
            // RFC 9293 3.1: pseudo-header (source, destination, zero, protocol, TCP length), then the segment.
            frame.Slice(context.TcpChecksumOffset, 2).Clear();
            ulong sum = DeviceChecksum.Add(0, frame.Slice(ip + 12, 8));
            sum += IpProtocolTcp + (ulong)(frame.Length - tcp);
            sum = DeviceChecksum.Add(sum, frame[tcp..]);
            BinaryPrimitives.WriteUInt16BigEndian(frame[context.TcpChecksumOffset..], DeviceChecksum.Finish(sum));
        }
    }

    /// <summary>
    /// The context describes a TCP/IPv4 segmentation the device can do: TSE | IP | TCP, a positive MSS
    /// whose frames fit <see cref="VirtualNicOptions.MaxFrameLength"/>, a positive PAYLEN of at most
    /// <see cref="MaxTsoPayload"/>, a 20-byte-or-longer IPv4 header before a 20-byte-or-longer TCP header
    /// inside HDRLEN, checksum fields inside their headers at even offsets, and TUCSE 0 (each segment's end).
    /// </summary>
    private bool IsUsable(in TcpIpContextTxDescriptor context)
    {
        const TxContextCommand required = TxContextCommand.Tse | TxContextCommand.Ip | TxContextCommand.Tcp;
        int ip = context.IpChecksumStart;
        int tcp = context.TcpChecksumStart;
        int ipEnd = IpChecksumEnd(context);
        return (context.Command & required) == required
            && context.Mss > 0
            && context.HeaderLength + context.Mss <= _options.MaxFrameLength
            && context.PayloadLength > 0
            && context.PayloadLength <= MaxTsoPayload
            && ip + 20 <= tcp
            && tcp + 20 <= context.HeaderLength
            && context.IpChecksumOffset >= ip && context.IpChecksumOffset + 1 <= ipEnd && ipEnd < tcp
            && ((context.IpChecksumOffset - ip) & 1) == 0
            && context.TcpChecksumOffset >= tcp && context.TcpChecksumOffset + 2 <= context.HeaderLength
            && ((context.TcpChecksumOffset - tcp) & 1) == 0
            && context.TcpChecksumEnd == 0;
    }

    /// <summary>
    /// The gathered header is the one the context describes: IPv4 whose IHL reaches exactly TUCSS, not a
    /// fragment, carrying TCP whose data offset reaches exactly HDRLEN.
    /// </summary>
    private static bool HeadersMatch(in TcpIpContextTxDescriptor context, ReadOnlySpan<byte> super)
    {
        int ip = context.IpChecksumStart;
        int tcp = context.TcpChecksumStart;
        byte versionIhl = super[ip];
        return versionIhl >> 4 == 4
            && (versionIhl & 0x0F) * 4 == tcp - ip
            && super[ip + 9] == IpProtocolTcp
            && (BinaryPrimitives.ReadUInt16BigEndian(super[(ip + 6)..]) & 0x3FFF) == 0
            && (super[tcp + 12] >> 4) * 4 == context.HeaderLength - tcp;
    }

    // IPCSE 0 means "to the end of the packet"; for the IPv4 header that is the byte before TCP.
    private static int IpChecksumEnd(in TcpIpContextTxDescriptor context) =>
        context.IpChecksumEnd == 0 ? context.TcpChecksumStart - 1 : context.IpChecksumEnd;

    /// <summary>One descriptor of a frame as fetched, whatever its format: what the TX engine needs of it.</summary>
    private readonly record struct FetchedTxDescriptor(TxDescriptorKind Kind, ulong Address, int Length, bool Eop, bool Rs, bool Tse, TxPacketOptions Options)
    {
        public static FetchedTxDescriptor Parse(ReadOnlySpan<byte> slot)
        {
            var kind = TxDescriptorLayout.Classify(slot);
            if (kind == TxDescriptorKind.Legacy)
            {
                var legacy = LegacyTxDescriptor.Read(slot);
                return new FetchedTxDescriptor(
                    kind,
                    legacy.BufferAddress,
                    legacy.Length,
                    (legacy.Command & TxCommand.Eop) != 0,
                    (legacy.Command & TxCommand.Rs) != 0,
                    false,
                    TxPacketOptions.None);
            }

            // Data, and the reserved types read the same way (EOP and RS sit where DCMD has them), so a
            // malformed frame still ends and completes where its driver meant it to.
            var data = TcpIpDataTxDescriptor.Read(slot);
            return new FetchedTxDescriptor(
                kind,
                data.BufferAddress,
                data.Length,
                (data.Command & TxDataCommand.Eop) != 0,
                (data.Command & TxDataCommand.Rs) != 0,
                (data.Command & TxDataCommand.Tse) != 0,
                data.Options);
        }
    }
}
