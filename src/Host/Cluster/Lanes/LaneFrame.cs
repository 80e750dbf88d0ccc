using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Edsos.Host.Cluster.Lanes;

/// <summary>
/// The wire format of a lane: one frame per message, all integers little-endian. <c>u32</c> length of what follows,
/// <c>i64</c> the sender's <c>Stopwatch</c> timestamp (CLOCK_MONOTONIC, one clock for every process of the machine),
/// <c>u8</c> flags (1: a trace context follows), the context (<c>u64</c> trace id high, <c>u64</c> low, <c>u64</c> span
/// id, <c>u8</c> trace flags), <c>i32</c> the Akka serializer id, then three <c>u16</c>-length UTF-8 strings (the
/// recipient's serialized actor path, the sender's or empty, the serializer's manifest) and the serializer's bytes.
/// </summary>
internal static class LaneFrame
{
    /// <summary>Bytes of the length word before each frame.</summary>
    public const int LengthBytes = 4;

    /// <summary>The largest frame a lane carries (a longer one goes over Akka.Remote).</summary>
    public const int MaxFrame = 1 << 20;

    private const byte HasTrace = 1;

    /// <summary>What a frame's header says (the strings still as UTF-8 bytes).</summary>
    public readonly ref struct Header
    {
        /// <summary>False when the body was malformed (the other members are then default).</summary>
        public bool Valid { get; init; }
        /// <summary>The sender's <c>Stopwatch</c> timestamp at the write.</summary>
        public required long SentAt { get; init; }
        /// <summary>The trace id's first 8 bytes (big-endian value), when <see cref="Traced"/>.</summary>
        public required ulong TraceHigh { get; init; }
        /// <summary>The trace id's last 8 bytes.</summary>
        public required ulong TraceLow { get; init; }
        /// <summary>The sender's span id.</summary>
        public required ulong SpanId { get; init; }
        /// <summary>The W3C trace flags.</summary>
        public required byte TraceFlags { get; init; }
        /// <summary>True when the frame carries a trace context.</summary>
        public required bool Traced { get; init; }
        /// <summary>The Akka serializer that made <see cref="Payload"/>.</summary>
        public required int SerializerId { get; init; }
        /// <summary>The recipient's serialized actor path, UTF-8.</summary>
        public required ReadOnlySpan<byte> Recipient { get; init; }
        /// <summary>The sender's serialized actor path, UTF-8; empty for no sender.</summary>
        public required ReadOnlySpan<byte> Sender { get; init; }
        /// <summary>The serializer's manifest, UTF-8.</summary>
        public required ReadOnlySpan<byte> Manifest { get; init; }
        /// <summary>The serializer's bytes.</summary>
        public required ReadOnlySpan<byte> Payload { get; init; }
    }

    /// <summary>Appends one frame to <paramref name="output"/>.</summary>
    public static void Write(
        ArrayBufferWriter<byte> output, ulong traceHigh, ulong traceLow, ulong spanId, byte traceFlags, bool traced,
        int serializerId, ReadOnlySpan<byte> recipient, ReadOnlySpan<byte> sender, string manifest, ReadOnlySpan<byte> payload)
    {
        int manifestBytes = Encoding.UTF8.GetByteCount(manifest);
        int length = 8 + 1 + (traced ? 25 : 0) + 4 + 2 + recipient.Length + 2 + sender.Length + 2 + manifestBytes + payload.Length;
        var span = output.GetSpan(LengthBytes + length);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        int at = LengthBytes;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], System.Diagnostics.Stopwatch.GetTimestamp());
        at += 8;
        span[at++] = traced ? HasTrace : (byte)0;
        if (traced)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], traceHigh);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 8)..], traceLow);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 16)..], spanId);
            span[at + 24] = traceFlags;
            at += 25;
        }

        BinaryPrimitives.WriteInt32LittleEndian(span[at..], serializerId);
        at += 4;
        at = WriteString(span, at, recipient);
        at = WriteString(span, at, sender);
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)manifestBytes);
        at += 2;
        at += Encoding.UTF8.GetBytes(manifest, span[at..]);
        payload.CopyTo(span[at..]);
        output.Advance(LengthBytes + length);
    }

    /// <summary>Parses one frame body (what follows its length word); <see cref="Header.Valid"/> false when it is malformed.</summary>
    public static Header Read(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8 + 1 + 4 + 6)
        {
            return default;
        }

        long sentAt = BinaryPrimitives.ReadInt64LittleEndian(body);
        int at = 8;
        bool traced = (body[at++] & HasTrace) != 0;
        ulong high = 0, low = 0, span = 0;
        byte flags = 0;
        if (traced)
        {
            if (body.Length < at + 25 + 4 + 6)
            {
                return default;
            }

            high = BinaryPrimitives.ReadUInt64LittleEndian(body[at..]);
            low = BinaryPrimitives.ReadUInt64LittleEndian(body[(at + 8)..]);
            span = BinaryPrimitives.ReadUInt64LittleEndian(body[(at + 16)..]);
            flags = body[at + 24];
            at += 25;
        }

        int serializerId = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
        at += 4;
        var recipient = ReadString(body, ref at);
        var sender = ReadString(body, ref at);
        var manifest = ReadString(body, ref at);
        if (at < 0)
        {
            return default;
        }

        return new Header
        {
            Valid = true,
            SentAt = sentAt,
            TraceHigh = high,
            TraceLow = low,
            SpanId = span,
            TraceFlags = flags,
            Traced = traced,
            SerializerId = serializerId,
            Recipient = recipient,
            Sender = sender,
            Manifest = manifest,
            Payload = body[at..],
        };
    }

    private static int WriteString(Span<byte> span, int at, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)value.Length);
        value.CopyTo(span[(at + 2)..]);
        return at + 2 + value.Length;
    }

    /// <summary>Reads a length-prefixed string at <paramref name="at"/> and moves past it; sets <paramref name="at"/> to -1 when the body is too short.</summary>
    private static ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> body, scoped ref int at)
    {
        if (at < 0 || body.Length < at + 2)
        {
            at = -1;
            return default;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(body[at..]);
        if (body.Length < at + 2 + length)
        {
            at = -1;
            return default;
        }

        var value = body.Slice(at + 2, length);
        at += 2 + length;
        return value;
    }
}
