using System.Diagnostics;
using Edsos.Driver.Wires;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Xunit.Abstractions;

namespace Edsos.Protocol.Tests.Wire;

/// <summary>
/// Builds ARP, UDP (contiguous, scatter-gather and fragmented) and ICMP frames with the Emit code, writes
/// them with <see cref="PcapWriter"/> and asks Wireshark's dissector (tshark) to check every checksum.
/// An independent decoder is the best evidence the layouts are right. When tshark is not installed the
/// test says so in its output and returns: that proves nothing, and the output says that too.
/// </summary>
public sealed class TsharkCrossCheckTests
{
    private static readonly MacAddress s_guestMac = MacAddress.Parse("52:54:00:12:34:56");
    private static readonly MacAddress s_gatewayMac = MacAddress.Parse("52:55:0a:00:02:02");
    private static readonly Ipv4Address s_guest = Ipv4Address.Parse("10.0.2.15");
    private static readonly Ipv4Address s_gateway = Ipv4Address.Parse("10.0.2.2");
    private static readonly DateTimeOffset s_start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ITestOutputHelper _output;

    public TsharkCrossCheckTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void EmittedFrames_DecodedByTshark_AllChecksumsGood()
    {
        string? tshark = FindTshark();
        if (tshark is null)
        {
            _output.WriteLine("NOT RUN: tshark is not on PATH; this pass verifies nothing. Install it (apt-get install tshark) to run the cross-check.");
            return;
        }

        string path = Path.Combine(Path.GetTempPath(), $"edsos-wire-{Guid.NewGuid():N}.pcap");
        try
        {
            int frames = WriteCapture(path);
            string text = RunTshark(tshark, path, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-V");
            _output.WriteLine(text);

            Assert.DoesNotContain("Bad", text, StringComparison.Ordinal);
            Assert.DoesNotContain("[incorrect", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Malformed", text, StringComparison.Ordinal);
            Assert.Equal(frames, CountOccurrences(text, " bytes on wire ("));

            // One summary line per frame, checked against what was emitted.
            string summary = RunTshark(tshark, path, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE");
            _output.WriteLine(summary);
            string[] lines = summary.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(frames, lines.Length);
            Assert.Contains("Who has 10.0.2.2? Tell 10.0.2.15", lines[0], StringComparison.Ordinal);
            Assert.Contains("10.0.2.2 is at 52:55:0a:00:02:02", lines[1], StringComparison.Ordinal);
            Assert.Contains("ECHO 47 Request", lines[2], StringComparison.Ordinal);
            Assert.Contains("40001 → 40002 Len=1001", lines[3], StringComparison.Ordinal);
            Assert.Contains("Echo (ping) request", lines[4], StringComparison.Ordinal);
            Assert.Contains("Destination unreachable (Port unreachable)", lines[5], StringComparison.Ordinal);
            Assert.Contains("off=1480", lines[7], StringComparison.Ordinal);
            Assert.Contains("40000 → 9 Len=4096", lines[8], StringComparison.Ordinal);

            // IP header checksums: the 7 IPv4 frames (3-9) plus the header quoted inside the ICMP error.
            Assert.Equal(8, CountOccurrences(text, "[Header checksum status: Good]"));

            // UDP and ICMP: frames 3 and 4, the datagram reassembled from frames 7-9, the echo request
            // and the unreachable. (The UDP header quoted in the error is "Unverified": it is cut short.)
            Assert.Equal(5, CountOccurrences(text, "[Checksum Status: Good]"));
            Assert.Contains("[Reassembled IPv4 length: 4104]", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int WriteCapture(string path)
    {
        using var writer = new PcapWriter(File.Create(path));
        int frames = 0;
        DateTimeOffset time = s_start;
        void Write(ReadOnlySpan<byte> frame)
        {
            writer.WriteFrame(frame, time);
            time = time.AddMilliseconds(1);
            frames++;
        }

        // 1, 2: ARP request and its reply.
        var request = ArpRepr.Request(s_guestMac, s_guest, s_gateway);
        Write(BuildArp(MacAddress.Broadcast, s_guestMac, request));
        Write(BuildArp(s_guestMac, s_gatewayMac, ArpRepr.ReplyTo(request, s_gatewayMac)));

        // 3: UDP "hello", contiguous emit.
        Write(BuildUdp("hello"u8, 1));

        // 4: UDP with a 1001-byte payload whose checksum comes from odd-sized scatter segments; the frame
        // itself is written to the pcap as segments too.
        byte[] payload = new byte[1001];
        new Random(9).NextBytes(payload);
        var payloadSum = default(ChecksumAccumulator);
        payloadSum.Add(payload.AsSpan(0, 333));
        payloadSum.Add(payload.AsSpan(333, 1));
        payloadSum.Add(payload.AsSpan(334));
        var udpRepr = new UdpRepr(40001, 40002, payload.Length);
        byte[] headers = new byte[14 + 20 + 8];
        var ethernet = EthernetFrame.CreateUnchecked(headers);
        new EthernetRepr(s_gatewayMac, s_guestMac, EtherType.Ipv4).Emit(ethernet);
        new Ipv4Repr(s_guest, s_gateway, IpProtocol.Udp, udpRepr.Length) { Identification = 2 }.Emit(Ipv4Packet.CreateUnchecked(ethernet.Payload));
        udpRepr.EmitHeader(headers.AsSpan(34), s_guest, s_gateway, payloadSum);
        ReadOnlyMemory<byte>[] segments = { headers, payload.AsMemory(0, 500), payload.AsMemory(500) };
        writer.WriteFrame(segments, time);
        time = time.AddMilliseconds(1);
        frames++;

        // 5: ICMP echo request "abcdefgh".
        byte[] echo = new byte[14 + 20 + 16];
        ethernet = EthernetFrame.CreateUnchecked(echo);
        new EthernetRepr(s_gatewayMac, s_guestMac, EtherType.Ipv4).Emit(ethernet);
        var ip = Ipv4Packet.CreateUnchecked(ethernet.Payload);
        new Ipv4Repr(s_guest, s_gateway, IpProtocol.Icmp, 16) { Identification = 3 }.Emit(ip);
        "abcdefgh"u8.CopyTo(ip.Payload[8..]);
        IcmpV4Repr.EchoRequest(0x1234, 1, 8).Emit(IcmpV4Packet.CreateUnchecked(ip.Payload));
        Write(echo);

        // 6: port unreachable for frame 3, quoting its IP header + 8 bytes.
        byte[] hello = BuildUdp("hello"u8, 1);
        Assert.True(Ipv4Packet.TryCreate(hello.AsSpan(14), out Ipv4Packet original, out _));
        Assert.True(Ipv4Repr.TryParse(original, out Ipv4Repr originalRepr, out _));
        int quote = IcmpV4Repr.QuoteLength(original);
        IcmpV4Repr unreachable = IcmpV4Repr.DestinationUnreachable(IcmpV4UnreachableCode.PortUnreachable, originalRepr, quote);
        byte[] error = new byte[14 + 20 + unreachable.BufferLength];
        ethernet = EthernetFrame.CreateUnchecked(error);
        new EthernetRepr(s_guestMac, s_gatewayMac, EtherType.Ipv4).Emit(ethernet);
        ip = Ipv4Packet.CreateUnchecked(ethernet.Payload);
        new Ipv4Repr(s_gateway, s_guest, IpProtocol.Icmp, unreachable.BufferLength) { Identification = 4 }.Emit(ip);
        hello.AsSpan(14, quote).CopyTo(ip.Payload[8..]);
        unreachable.Emit(IcmpV4Packet.CreateUnchecked(ip.Payload));
        Write(error);

        // 7, 8, 9: a 4096-byte UDP datagram fragmented for MTU 1500 (offsets 0, 1480, 2960).
        byte[] big = new byte[4096];
        new Random(4).NextBytes(big);
        var bigRepr = new UdpRepr(40000, 9, big.Length);
        byte[] datagram = new byte[bigRepr.Length];
        big.CopyTo(datagram, 8);
        bigRepr.Emit(UdpPacket.CreateUnchecked(datagram), s_guest, s_gateway);
        foreach (FragmentPiece piece in Fragmenter.Plan(datagram.Length, 20, 1500))
        {
            byte[] fragment = new byte[14 + 20 + piece.Length];
            ethernet = EthernetFrame.CreateUnchecked(fragment);
            new EthernetRepr(s_gatewayMac, s_guestMac, EtherType.Ipv4).Emit(ethernet);
            ip = Ipv4Packet.CreateUnchecked(ethernet.Payload);
            new Ipv4Repr(s_guest, s_gateway, IpProtocol.Udp, piece.Length)
            {
                Identification = 0x0BAD,
                MoreFragments = piece.MoreFragments,
                FragmentOffset = piece.Offset,
            }.Emit(ip);
            datagram.AsSpan(piece.Offset, piece.Length).CopyTo(ip.Payload);
            Write(fragment);
        }

        return frames;
    }

    private static byte[] BuildArp(MacAddress destination, MacAddress source, ArpRepr arp)
    {
        byte[] frame = new byte[14 + ArpRepr.BufferLength];
        var ethernet = EthernetFrame.CreateUnchecked(frame);
        new EthernetRepr(destination, source, EtherType.Arp).Emit(ethernet);
        arp.Emit(ArpPacket.CreateUnchecked(ethernet.Payload));
        return frame;
    }

    private static byte[] BuildUdp(ReadOnlySpan<byte> payload, ushort identification)
    {
        var udp = new UdpRepr(12345, 7, payload.Length);
        byte[] frame = new byte[14 + 20 + udp.Length];
        var ethernet = EthernetFrame.CreateUnchecked(frame);
        new EthernetRepr(s_gatewayMac, s_guestMac, EtherType.Ipv4).Emit(ethernet);
        var ip = Ipv4Packet.CreateUnchecked(ethernet.Payload);
        new Ipv4Repr(s_guest, s_gateway, IpProtocol.Udp, udp.Length) { Identification = identification, DontFragment = true }.Emit(ip);
        payload.CopyTo(ip.Payload[8..]);
        udp.Emit(UdpPacket.CreateUnchecked(ip.Payload), s_guest, s_gateway);
        return frame;
    }

    private static string? FindTshark()
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(directory, "tshark");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string RunTshark(string tshark, string path, params string[] options)
    {
        var start = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add("-r");
        start.ArgumentList.Add(path);
        foreach (string option in options)
        {
            start.ArgumentList.Add(option);
        }

        using Process process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "tshark did not finish within a minute");
        Assert.True(process.ExitCode == 0, $"tshark exited {process.ExitCode}: {errors.Result}");
        return text;
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
