using System.Text.Json;
using Edsos.Host.Bench;
using Edsos.Host.Demo;

namespace Edsos.Host.Tests;

public sealed class StreamBenchTests
{
    [Fact]
    public async Task RunAsync_ShortUdpAndTcpStreams_EveryModeDeliversAndNothingLeaks()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        // A short warm-up: this checks that every mode delivers and nothing leaks, not the rates (waiting for the JIT to go
        // quiet took over a minute here under the parallel test load, and a measured window then once saw nothing).
        int code = await StreamBench.RunAsync([("udp", 1024), ("tcp", 65536)], repetitions: 1, seconds: 0.3, inflight: 4, json: true, output, error, maxWarmUpSeconds: 2);

        Assert.True(code == 0, error.ToString());
        using var doc = JsonDocument.Parse(output.ToString());
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(6, rows.Count);
        foreach (var row in rows)
        {
            string mode = row.GetProperty("mode").GetString()!;
            bool tcp = row.GetProperty("proto").GetString() == "tcp";
            double rate = tcp ? row.GetProperty("gbit_per_s").GetDouble() : row.GetProperty("datagrams_per_s").GetDouble();
            Assert.True(rate > 0, $"{mode} {(tcp ? "tcp" : "udp")}: nothing delivered");
        }
    }

    [Fact]
    public async Task RunAsync_NoInflight_ExitCode2()
    {
        var error = new StringWriter();

        int code = await StreamBench.RunAsync([("udp", 1024)], 1, 1, inflight: 0, json: false, new StringWriter(), error);

        Assert.Equal(2, code);
    }

    [Fact]
    public void PayloadCheck_TcpWritesCutAnywhere_PassUntilAByteIsLost()
    {
        var write = new byte[4096];
        StreamPattern.Fill(write, 0);
        var stream = write.Concat(write).Concat(write).ToArray();
        var check = new StreamBench.PayloadCheck(tcp: true, 4096);

        // Three writes read in pieces that straddle the writes' edges.
        check.Check(stream.AsSpan(0, 1000));
        check.Check(stream.AsSpan(1000, 5000));
        check.Check(stream.AsSpan(6000, 6288));
        Assert.Null(check.FirstBad);

        // A fourth write whose first byte was lost: everything after it is shifted by one.
        check.Check(write.AsSpan(1));
        Assert.Contains("stream byte 12288 differs", check.FirstBad);
    }

    [Fact]
    public void PayloadCheck_Udp_WrongLengthOrByteIsFound()
    {
        var datagram = new byte[1024];
        DatagramPattern.Fill(datagram, StreamBench.StreamDatagram);
        var check = new StreamBench.PayloadCheck(tcp: false, 1024);
        check.Check(datagram);
        check.Check(datagram);
        Assert.Null(check.FirstBad);

        check.Check(datagram.AsSpan(0, 1000));
        Assert.Contains("datagram 2 has 1000 bytes", check.FirstBad);

        var corrupt = new StreamBench.PayloadCheck(tcp: false, 1024);
        datagram[700] ^= 1;
        corrupt.Check(datagram);
        Assert.Contains("byte 700 differs", corrupt.FirstBad);
    }
}
