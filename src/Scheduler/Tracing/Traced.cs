using System.Buffers.Binary;
using System.Diagnostics;
using Akka.Actor;

namespace Edsos.Scheduler.Tracing;

/// <summary>
/// A message with its sender's trace context, for a Tell that crosses an Akka.Remote boundary, where no
/// mailbox of ours sees the send. The context travels as plain integers (the W3C trace id as two
/// 64-bit halves, the span id and the flags) because every Akka serializer keeps those, while an
/// <see cref="ActivityContext"/> field is lost. <see cref="EdsrtActor"/> unwraps it before its handlers
/// run and handles <see cref="Message"/> under this context. Build one with <see cref="Wrap"/> or send
/// with <see cref="TracedTellExtensions.TellTraced"/>.
/// </summary>
/// <param name="Message">The message itself.</param>
/// <param name="TraceIdHigh">The first 8 bytes of the trace id, big-endian.</param>
/// <param name="TraceIdLow">The last 8 bytes of the trace id, big-endian.</param>
/// <param name="SpanId">The parent span id, big-endian.</param>
/// <param name="Flags">The W3C trace flags (1 = sampled).</param>
public sealed record Traced(object Message, ulong TraceIdHigh, ulong TraceIdLow, ulong SpanId, byte Flags)
{
    /// <summary>The carried context (marked remote), or default when none was carried.</summary>
    public ActivityContext Context
    {
        get
        {
            if (TraceIdHigh == 0 && TraceIdLow == 0)
            {
                return default;
            }

            Span<byte> trace = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(trace, TraceIdHigh);
            BinaryPrimitives.WriteUInt64BigEndian(trace[8..], TraceIdLow);
            Span<byte> span = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(span, SpanId);
            return new ActivityContext(ActivityTraceId.CreateFromBytes(trace), ActivitySpanId.CreateFromBytes(span), (ActivityTraceFlags)Flags, isRemote: true);
        }
    }

    /// <summary>Wraps <paramref name="message"/> with <paramref name="context"/> (default: no context).</summary>
    public static Traced Wrap(object message, in ActivityContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (context == default)
        {
            return new Traced(message, 0, 0, 0, 0);
        }

        var (high, low, span, flags) = Split(context);
        return new Traced(message, high, low, span, flags);
    }

    /// <summary>
    /// The four numbers a <see cref="Traced"/> carries for <paramref name="context"/> (all 0 for default), without
    /// making one: for a transport that writes them into a frame of its own.
    /// </summary>
    public static (ulong TraceIdHigh, ulong TraceIdLow, ulong SpanId, byte Flags) Split(in ActivityContext context)
    {
        if (context == default)
        {
            return (0, 0, 0, 0);
        }

        Span<byte> trace = stackalloc byte[16];
        context.TraceId.CopyTo(trace);
        Span<byte> span = stackalloc byte[8];
        context.SpanId.CopyTo(span);
        return (BinaryPrimitives.ReadUInt64BigEndian(trace), BinaryPrimitives.ReadUInt64BigEndian(trace[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(span), (byte)context.TraceFlags);
    }
}
