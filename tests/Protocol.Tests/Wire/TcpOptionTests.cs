using System.Diagnostics;
using Edsos.Driver.Wires;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

/// <summary>
/// The TCP options the stack reads and writes: MSS (RFC 9293 3.7.1) and Window Scale (RFC 7323 2.2), as byte
/// fixtures checked by hand against the RFCs' layouts, parsed among options we skip, and read back by tshark.
/// </summary>
public sealed class TcpOptionTests
{
    private static readonly Ipv4Address s_client = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address s_server = Ipv4Address.Parse("10.0.0.2");

    [Fact]
    public void EmitHeader_SynWithMssAndWindowScale_NopAlignedOptionsAfterMss()
    {
        var repr = new TcpRepr(49152, 7, 0x01020304, 0, TcpFlags.Syn, 65535, 1460, WindowScale: 3);
        Assert.Equal(28, repr.HeaderLength);
        var bytes = new byte[repr.HeaderLength];

        repr.EmitHeader(bytes, s_client, s_server, default);

        // Data offset 7 words; MSS: kind 2 len 4 0x05B4; then NOP (1) and Window Scale: kind 3 len 3 shift 3.
        Assert.Equal(0x70, bytes[12]);
        Assert.Equal(new byte[] { 0x02, 0x04, 0x05, 0xB4, 0x01, 0x03, 0x03, 0x03 }, bytes[20..28]);
        Assert.True(TcpRepr.VerifyChecksum(bytes, s_client, s_server, default));
        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.True(TcpRepr.TryParse(packet, out var parsed, out _));
        Assert.Equal(repr, parsed);
    }

    [Fact]
    public void EmitHeader_WindowScaleAlone_NopThenOptionInOneWord()
    {
        var repr = new TcpRepr(7, 49152, 1, 2, TcpFlags.Syn | TcpFlags.Ack, 8192, WindowScale: 0);
        var bytes = new byte[repr.HeaderLength];

        repr.EmitHeader(bytes, s_server, s_client, default);

        Assert.Equal(24, bytes.Length);
        Assert.Equal(0x60, bytes[12]);
        Assert.Equal(new byte[] { 0x01, 0x03, 0x03, 0x00 }, bytes[20..24]);
        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.True(TcpRepr.TryParse(packet, out var parsed, out _));
        Assert.Equal((byte?)0, parsed.WindowScale);
        Assert.Equal(0, parsed.MaxSegmentSize);
    }

    [Fact]
    public void EmitHeader_NoOptions_WindowScaleAbsentAfterParse()
    {
        var repr = new TcpRepr(7, 49152, 1, 2, TcpFlags.Ack, 512);
        var bytes = new byte[repr.HeaderLength];
        repr.EmitHeader(bytes, s_server, s_client, default);

        Assert.Equal(20, bytes.Length);
        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.True(TcpRepr.TryParse(packet, out var parsed, out _));
        Assert.Null(parsed.WindowScale);
    }

    [Fact]
    public void TryParse_LinuxSynOptions_ReadsMssAndWindowScaleSkipsSackPermittedAndTimestamps()
    {
        // A Linux SYN's 20 option bytes: MSS 1460, SACK permitted, timestamps, NOP, Window Scale 7.
        byte[] options =
        [
            0x02, 0x04, 0x05, 0xB4,
            0x04, 0x02,
            0x08, 0x0A, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00,
            0x01,
            0x03, 0x03, 0x07,
        ];
        var bytes = Header(options);

        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.True(TcpRepr.TryParse(packet, out var parsed, out var error), error.ToString());

        Assert.Equal((ushort)1460, parsed.MaxSegmentSize);
        Assert.Equal((byte?)7, parsed.WindowScale);
    }

    [Fact]
    public void TryParse_WindowScaleOfWrongLength_IgnoredLikeAnUnknownOption()
    {
        var bytes = Header([0x03, 0x04, 0x05, 0x00]);

        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.True(TcpRepr.TryParse(packet, out var parsed, out _));

        Assert.Null(parsed.WindowScale);
    }

    [Fact]
    public void TryParse_WindowScaleRunningPastTheHeader_Malformed()
    {
        var bytes = Header([0x01, 0x01, 0x03, 0x03]);

        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.False(TcpRepr.TryParse(packet, out _, out var error));

        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void TryParse_ShiftAbove14_KeptAsReceivedForTheConnectionToClamp()
    {
        var bytes = Header([0x01, 0x03, 0x03, 0x0F]);

        Assert.True(TcpPacket.TryCreate(bytes, out var packet, out _));
        Assert.True(TcpRepr.TryParse(packet, out var parsed, out _));

        Assert.Equal((byte?)15, parsed.WindowScale);
    }

    [Theory]
    [InlineData(1460, 0)]
    [InlineData(65535, 0)]
    [InlineData(65536, 1)]
    [InlineData(131071, 1)]
    [InlineData(131072, 2)]
    [InlineData(262144, 3)]
    [InlineData(1 << 20, 5)]
    [InlineData(TcpOptions.MaxReceiveBuffer, 14)]
    public void WindowShiftFor_Buffer_SmallestShiftThatFitsSixteenBits(int buffer, int shift)
    {
        Assert.Equal(shift, TcpOptions.WindowShiftFor(buffer));
        Assert.True(buffer >> shift <= ushort.MaxValue);
    }

    [TsharkFact]
    public void EmittedHandshake_DecodedByTshark_WindowScaleSeenAndAppliedToTheNextSegment()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-wscale-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapWriter(File.Create(path)))
            {
                var time = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
                writer.WriteFrame(Frame(s_client, s_server, new TcpRepr(49152, 7, 100, 0, TcpFlags.Syn, 65535, 1460, WindowScale: 7)), time);
                writer.WriteFrame(Frame(s_server, s_client, new TcpRepr(7, 49152, 500, 101, TcpFlags.Syn | TcpFlags.Ack, 65535, 1460, WindowScale: 3)), time.AddMilliseconds(1));
                writer.WriteFrame(Frame(s_client, s_server, new TcpRepr(49152, 7, 101, 501, TcpFlags.Ack, 512)), time.AddMilliseconds(2));
                writer.WriteFrame(Frame(s_server, s_client, new TcpRepr(7, 49152, 501, 101, TcpFlags.Ack, 32768)), time.AddMilliseconds(3));
            }

            string fields = Tshark(path, "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=,",
                "-e", "tcp.options.wscale.shift", "-e", "tcp.window_size", "-e", "tcp.checksum.status");
            string[] lines = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries);

            // SYN and SYN-ACK carry the shifts (windows never scaled there); then 512 · 2^7 and 32768 · 2^3.
            Assert.Equal(["7,65535,1", "3,65535,1", ",65536,1", ",262144,1"], lines.Select(l => l.Trim()).ToArray());
            Assert.Equal(string.Empty, Tshark(path, "-Y", "_ws.malformed || _ws.expert.severity >= warning").Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A 20-byte fixed header from 49152 to 7 followed by <paramref name="options"/> (a multiple of 4 bytes).</summary>
    private static byte[] Header(byte[] options)
    {
        var bytes = new byte[TcpPacket.MinHeaderLength + options.Length];
        new TcpRepr(49152, 7, 1, 0, TcpFlags.Syn, 65535).EmitHeader(bytes, s_client, s_server, default);
        bytes[TcpPacket.DataOffsetOffset] = (byte)(bytes.Length / 4 << 4);
        options.CopyTo(bytes, TcpPacket.MinHeaderLength);
        return bytes;
    }

    private static byte[] Frame(Ipv4Address source, Ipv4Address destination, TcpRepr tcp)
    {
        var segment = new byte[tcp.HeaderLength];
        tcp.EmitHeader(segment, source, destination, default);
        var mac = MacAddress.Parse("02:00:00:00:00:01");
        return TestFrames.Ipv4(mac, mac, new Ipv4Repr(source, destination, IpProtocol.Tcp, segment.Length) { DontFragment = true }, segment);
    }

    private static string Tshark(string path, params string[] options)
    {
        var start = new ProcessStartInfo(TsharkFactAttribute.Locate()!) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add("-r");
        start.ArgumentList.Add(path);
        foreach (string option in options)
        {
            start.ArgumentList.Add(option);
        }

        using var process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark exited {process.ExitCode}: {errors.Result}");
        return text;
    }
}
