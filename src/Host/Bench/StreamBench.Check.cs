using Edsos.Host.Demo;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;

namespace Edsos.Host.Bench;

/// <summary>The stream bench's check of what a receiver got, the same for every row.</summary>
public static partial class StreamBench
{
    /// <summary>The datagram every UDP sender of the bench sends (all rows, all lanes): datagram 1 of <see cref="DatagramPattern"/>.</summary>
    internal const ulong StreamDatagram = 1;

    private static readonly SegmentVisitor<StreamPattern.Verifier> s_checkStream = static (ref StreamPattern.Verifier state, ReadOnlySpan<byte> segment) => state.Check(segment);

    /// <summary>
    /// Checks every byte a receiver got. UDP: each datagram is <paramref name="size"/> bytes of datagram
    /// <see cref="StreamDatagram"/>. TCP: every write carries the first <paramref name="size"/> bytes of
    /// <see cref="StreamPattern"/>, so byte <c>k</c> of the stream is <c>StreamPattern.At(k mod size)</c>: a lost,
    /// repeated or corrupted piece of a write shifts or breaks it. Used by one receive loop at a time.
    /// </summary>
    internal sealed class PayloadCheck(bool tcp, int size)
    {
        private StreamPattern.Verifier _stream = new(0, size);
        private long _checked;

        /// <summary>The first thing found wrong, in words, or null.</summary>
        public string? FirstBad { get; private set; }

        /// <summary>Checks <paramref name="length"/> bytes an app of EDSOS received into <paramref name="buffer"/>, reading them in place.</summary>
        public void Check(Libc libc, UserBuffer buffer, int length)
        {
            if (FirstBad is not null)
            {
                return;
            }

            if (tcp)
            {
                var visited = libc.Visit(buffer, 0, length, ref _stream, s_checkStream);
                if (visited != Errno.None)
                {
                    Unreadable(visited);
                }
                else if (_stream.FirstBad >= 0)
                {
                    Differs($"stream byte {_stream.FirstBad} differs");
                }
            }
            else if (length != size)
            {
                Differs($"datagram {_checked} has {length} bytes, sent {size}");
            }
            else
            {
                var datagram = new DatagramPattern.Verifier(StreamDatagram);
                var visited = libc.Visit(buffer, 0, length, ref datagram, DatagramPattern.Check);
                if (visited != Errno.None)
                {
                    Unreadable(visited);
                }
                else if (!datagram.Ok)
                {
                    Differs($"datagram {_checked}: byte {datagram.FirstBad} differs");
                }
            }

            _checked++;
        }

        /// <summary>Checks bytes the Linux kernel's loopback delivered.</summary>
        public void Check(ReadOnlySpan<byte> received)
        {
            if (FirstBad is not null)
            {
                return;
            }

            if (tcp)
            {
                _stream.Check(received);
                if (_stream.FirstBad >= 0)
                {
                    Differs($"stream byte {_stream.FirstBad} differs");
                }
            }
            else if (received.Length != size)
            {
                Differs($"datagram {_checked} has {received.Length} bytes, sent {size}");
            }
            else if (DatagramPattern.FirstMismatch(received, StreamDatagram, 0) is int bad and >= 0)
            {
                Differs($"datagram {_checked}: byte {bad} differs");
            }

            _checked++;
        }

        // The words are built only when something is wrong: the check runs once per datagram or read.
        private void Unreadable(Errno error) => FirstBad = $"received data could not be read ({error}) after {_checked} checked";

        private void Differs(string what) => FirstBad = $"received data differs from what was sent: {what}";
    }
}
