using System.Text.Json;
using Edsos.Host.Bench;
using Edsos.SocketService;

namespace Edsos.Host.Tests;

public sealed class HopsBenchTests
{
    [Fact]
    public async Task RunAsync_UdpZeroCopy_TheRoundsDeliveriesInCausalOrderAddingUpToTheRound()
    {
        var (code, result, error) = await RunAsync(new HopsBenchOptions { Proto = "udp", Size = 1024, Rounds = 400, Recorded = 100 });

        Assert.True(code == 0, error);
        Assert.Equal(100, result.GetProperty("rounds_recorded").GetInt32());
        Assert.InRange(result.GetProperty("rounds_matching").GetInt32(), 1, 100);
        var steps = result.GetProperty("steps").EnumerateArray()
            .Select(s => (Host: s.GetProperty("host").GetString()!, Message: s.GetProperty("message").GetString()!, Gap: s.GetProperty("gap_us").GetDouble(), At: s.GetProperty("at_us").GetDouble()))
            .ToList();

        // The echo's causal chain: A's app sends, A's NIC transmits, B's NIC receives, B's app gets it and sends it back,
        // and A's app gets the echo; each later than the one before, whatever the other host does meanwhile (B may still be
        // finishing the round before: its completions and its next receive can fall after A's echo).
        int At(string host, string message, int after) => steps.FindIndex(after + 1, s => s.Host == host && s.Message == message);
        int sendA = At("A", "SendTo", -1);
        int txA = At("A", "ProcessTxRing", sendA);
        int rxB = At("B", "WireFrame", txA);
        int echoRecvB = At("B", "RecvRespEvent", rxB);
        int sendB = At("B", "SendTo", echoRecvB);
        int rxA = At("A", "WireFrame", sendB);
        int echoA = At("A", "RecvRespEvent", rxA);
        Assert.True(sendA == steps.FindIndex(s => s.Host == "A") && echoA > rxA, $"causal chain not in order: {string.Join(", ", steps.Select(s => $"{s.Host} {s.Message}"))}");

        // The gaps add up to the last step's time, and with the end gap to the round's median.
        Assert.Equal(steps[^1].At, steps.Sum(s => s.Gap), 6);
        Assert.Equal(result.GetProperty("round_us_median").GetDouble(), steps[^1].At + result.GetProperty("end_gap_us").GetDouble(), 6);
        Assert.All(steps, s => Assert.True(s.Gap >= 0, $"{s.Host} {s.Message}: negative gap {s.Gap}"));
        Assert.Equal(steps.Count, result.GetProperty("hosts").EnumerateArray().Sum(h => h.GetProperty("deliveries").GetInt32()));
    }

    [Fact]
    public async Task RunAsync_TcpCopy_DeliveriesOnBothHosts()
    {
        var (code, result, error) = await RunAsync(new HopsBenchOptions { Proto = "tcp", Size = 4096, Mode = DataPathMode.Copy, Rounds = 200, Recorded = 50 });

        Assert.True(code == 0, error);
        Assert.Equal("copy", result.GetProperty("mode").GetString());
        var hosts = result.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("host").GetString()).ToList();
        Assert.Equal(["A", "B"], hosts);
        Assert.Contains(result.GetProperty("steps").EnumerateArray(), s => s.GetProperty("host").GetString() == "B" && s.GetProperty("message").GetString() == "WireFrame");
    }

    [Theory]
    [InlineData("sctp", 1024, 100, 10, "--proto must be udp or tcp")]
    [InlineData("udp", 1024, 100, 101, "--recorded must be between 1 and --rounds (100), not 101")]
    [InlineData("udp", 65508, 100, 10, "--size")]
    public void Validate_BadOptions_NameTheOption(string proto, int size, int rounds, int recorded, string expected)
    {
        string? error = new HopsBenchOptions { Proto = proto, Size = size, Rounds = rounds, Recorded = recorded }.Validate();

        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    private static async Task<(int Code, JsonElement Result, string Error)> RunAsync(HopsBenchOptions options)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await HopsBench.RunAsync(options, json: true, output, error);
        if (code != 0)
        {
            return (code, default, error.ToString());
        }

        using var doc = JsonDocument.Parse(output.ToString());
        return (code, doc.RootElement.Clone(), error.ToString());
    }
}
