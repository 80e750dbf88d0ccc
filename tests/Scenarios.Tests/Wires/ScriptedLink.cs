using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Edsos.Driver.Wires;
using Edsos.Protocol.Wire;

namespace Edsos.Scenarios.Tests.Wires;

/// <summary>
/// A deterministic, scripted wire between two hosts for TCP scenarios: two <see cref="IWire"/> ends
/// (<see cref="EndA"/>, <see cref="EndB"/>) in front of a loopback pair. Every TCP segment either end transmits
/// is parsed (Ethernet, IPv4, TCP: just enough, by offsets, independently of the stack under test) and
/// recorded as a <see cref="WireSegment"/>; rules drop or hold the segments a predicate picks ("drop the first
/// transmission of relative sequence 1460 from A", "hold every FIN until both were seen"). Frames that are not
/// TCP (ARP) always pass. Unlike <see cref="LossyWire"/> nothing is random: what is dropped is named.
/// </summary>
/// <remarks>
/// One lock orders everything: recording, rule decisions and delivery, so the recorded order is the order
/// frames reached the far NIC, and a released frame is delivered before any frame transmitted after the
/// release. Delivery into a NIC only copies the bytes and posts to its actor, so holding the lock across it
/// cannot deadlock. Predicates run under the lock on a NIC's thread: keep them short.
/// </remarks>
internal sealed class ScriptedLink
{
    private const int EthernetHeader = 14;
    private readonly object _gate = new();
    private readonly List<WireSegment> _segments = new();
    private readonly List<WireRule> _rules = new();
    private readonly Dictionary<(uint Source, ushort SourcePort, uint Destination, ushort DestinationPort), uint> _iss = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly IWire _innerA;
    private readonly IWire _innerB;

    public ScriptedLink()
    {
        var (a, b) = LoopbackWire.CreatePair();
        _innerA = a;
        _innerB = b;
        EndA = new End(this, a, LinkDirection.AtoB);
        EndB = new End(this, b, LinkDirection.BtoA);
    }

    /// <summary>Host A's end: what A transmits goes <see cref="LinkDirection.AtoB"/>.</summary>
    public IWire EndA { get; }

    /// <summary>Host B's end.</summary>
    public IWire EndB { get; }

    /// <summary>A snapshot of every TCP segment carried so far, in transmit order.</summary>
    public IReadOnlyList<WireSegment> Segments
    {
        get
        {
            lock (_gate)
            {
                return _segments.ToArray();
            }
        }
    }

    /// <summary>The recorded segments <paramref name="predicate"/> accepts, in transmit order.</summary>
    public WireSegment[] Where(Func<WireSegment, bool> predicate)
    {
        lock (_gate)
        {
            return _segments.Where(predicate).ToArray();
        }
    }

    /// <summary>
    /// Drops the matching segments of <paramref name="direction"/> from the (<paramref name="skip"/> + 1)-th to
    /// the (<paramref name="skip"/> + <paramref name="times"/>)-th; later ones pass.
    /// </summary>
    public WireRule Drop(string name, LinkDirection direction, Func<WireSegment, bool> match, int times = 1, int skip = 0) =>
        Add(new WireRule(name, direction, match, WireFate.Dropped, skip, times));

    /// <summary>Holds every matching segment of <paramref name="direction"/> until <see cref="Release"/>.</summary>
    public WireRule Hold(string name, LinkDirection direction, Func<WireSegment, bool> match) =>
        Add(new WireRule(name, direction, match, WireFate.Held, 0, int.MaxValue));

    /// <summary>Segments <paramref name="rule"/> dropped or held so far.</summary>
    public int Applied(WireRule rule)
    {
        lock (_gate)
        {
            return rule.Applied;
        }
    }

    /// <summary>Stops <paramref name="rule"/> (a drop rule: later segments pass; a hold rule: see <see cref="Release"/>).</summary>
    public void Remove(WireRule rule)
    {
        lock (_gate)
        {
            rule.Active = false;
            _rules.Remove(rule);
        }
    }

    /// <summary>Stops <paramref name="rule"/> and delivers what it held, in transmit order; returns how many frames.</summary>
    public int Release(WireRule rule)
    {
        lock (_gate)
        {
            rule.Active = false;
            _rules.Remove(rule);
            var inner = rule.Direction == LinkDirection.AtoB ? _innerA : _innerB;
            foreach (var frame in rule.HeldFrames)
            {
                inner.Transmit(frame);
            }

            int count = rule.HeldFrames.Count;
            rule.HeldFrames.Clear();
            return count;
        }
    }

    /// <summary>Every recorded segment, one per line (for assertion messages).</summary>
    public string Dump()
    {
        var text = new StringBuilder();
        foreach (var segment in Segments)
        {
            text.AppendLine(segment.ToString());
        }

        return text.ToString();
    }

    private WireRule Add(WireRule rule)
    {
        lock (_gate)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    private void OnTransmit(LinkDirection direction, IWire inner, ReadOnlySpan<byte> frame)
    {
        lock (_gate)
        {
            if (!TryParse(direction, frame, out var segment))
            {
                inner.Transmit(frame);
                return;
            }

            var fate = WireFate.Passed;
            foreach (var rule in _rules)
            {
                if (rule.Direction != direction || !rule.Match(segment))
                {
                    continue;
                }

                rule.Matched++;
                if (rule.Matched <= rule.Skip || rule.Applied >= rule.Times)
                {
                    continue;
                }

                rule.Applied++;
                fate = rule.Action;
                if (fate == WireFate.Held)
                {
                    rule.HeldFrames.Add(frame.ToArray());
                }

                break;
            }

            _segments.Add(segment with { Fate = fate });
            if (fate == WireFate.Passed)
            {
                inner.Transmit(frame);
            }
        }
    }

    /// <summary>Ethernet II → IPv4 (unfragmented, protocol 6) → TCP. Anything else is not a segment. Holds the lock.</summary>
    private bool TryParse(LinkDirection direction, ReadOnlySpan<byte> frame, out WireSegment segment)
    {
        segment = null!;
        if (frame.Length < EthernetHeader + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800)
        {
            return false;
        }

        var ip = frame[EthernetHeader..];
        int ipHeader = (ip[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0;
        if ((ip[0] >> 4) != 4 || ip[9] != 6 || fragment || ipHeader < 20 || total > ip.Length || total < ipHeader + 20)
        {
            return false;
        }

        uint source = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        uint destination = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        var tcp = ip[ipHeader..total];
        int tcpHeader = (tcp[12] >> 4) * 4;
        if (tcpHeader < 20 || tcpHeader > tcp.Length)
        {
            return false;
        }

        ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp);
        ushort destinationPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        uint ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        var flags = (TcpFlags)tcp[13];
        ushort window = BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]);
        var flow = (source, sourcePort, destination, destinationPort);
        if ((flags & TcpFlags.Syn) != 0)
        {
            // A new connection on the same four-tuple restarts the numbering.
            _iss[flow] = sequence;
        }

        int relativeSequence = _iss.TryGetValue(flow, out uint iss) ? unchecked((int)(sequence - iss - 1)) : int.MinValue;
        int relativeAck = _iss.TryGetValue((destination, destinationPort, source, sourcePort), out uint peerIss) && (flags & TcpFlags.Ack) != 0
            ? unchecked((int)(ack - peerIss - 1))
            : -1;
        segment = new WireSegment(
            _segments.Count,
            direction,
            _clock.Elapsed,
            sourcePort,
            destinationPort,
            sequence,
            ack,
            flags,
            window,
            tcp[tcpHeader..].ToArray(),
            relativeSequence,
            relativeAck,
            WireFate.Passed);
        return true;
    }

    /// <summary>One end: records and scripts what its host transmits, delivers what arrives for it.</summary>
    private sealed class End : IWire
    {
        private readonly ScriptedLink _link;
        private readonly IWire _inner;
        private readonly LinkDirection _direction;

        public End(ScriptedLink link, IWire inner, LinkDirection direction)
        {
            _link = link;
            _inner = inner;
            _direction = direction;
        }

        public string Name => _inner.Name + "+scripted";

        public void Transmit(ReadOnlySpan<byte> frame) => _link.OnTransmit(_direction, _inner, frame);

        public void Attach(IWireReceiver receiver) => _inner.Attach(receiver);

        public void Detach(IWireReceiver receiver) => _inner.Detach(receiver);
    }
}
