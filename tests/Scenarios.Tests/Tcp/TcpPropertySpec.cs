using System.Diagnostics;
using Edsos.Driver.Wires;
using Edsos.Host;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>
/// Seeded property test of TCP on two real hosts (issue 12): for each case a seed draws the wire's loss (0 to
/// 30 %), duplication and reordering, both hosts' receive buffer (4 KiB to 64 MiB, log-uniform) and a list of
/// write sizes; A streams the writes to B, which reads everything. Every case must deliver every byte, in order,
/// exactly once, end in an orderly close within <see cref="s_caseBound"/>, and leave both arenas clean. Timers
/// are scaled down (RTO floor 20 ms, delayed ACK 5 ms, MSL 10 ms) so hundreds of cases run in CI in a couple of
/// minutes; the logic is the one the demo runs. The cases are spread over four classes that xUnit runs in parallel.
/// A failure names its seed: <c>EDSOS_TCP_PROPERTY_SEED=&lt;seed&gt;</c> replays just that case (the loss schedule
/// is the same; thread timing is not, so a replay may need a few runs), <c>EDSOS_TCP_PROPERTY_CASES=&lt;n&gt;</c>
/// changes how many cases each class runs, <c>EDSOS_TCP_PROPERTY_BASE=&lt;n&gt;</c> picks another series of seeds.
/// </summary>
public abstract class TcpPropertySpec
{
    private const int DefaultCasesPerClass = 100;
    private static readonly TimeSpan s_caseBound = TimeSpan.FromSeconds(30);
    private readonly ITestOutputHelper _output;

    protected TcpPropertySpec(ITestOutputHelper output) => _output = output;

    /// <summary>Runs this class's share of the cases: seeds base + <paramref name="slice"/>, + 4, + 8, ...</summary>
    protected async Task RunSliceAsync(int slice)
    {
        var stopwatch = Stopwatch.StartNew();
        if (Environment.GetEnvironmentVariable("EDSOS_TCP_PROPERTY_SEED") is { Length: > 0 } replay)
        {
            if (slice == 0)
            {
                await RunCaseAsync(int.Parse(replay, System.Globalization.CultureInfo.InvariantCulture));
            }

            return;
        }

        int cases = int.TryParse(Environment.GetEnvironmentVariable("EDSOS_TCP_PROPERTY_CASES"), out int n) ? n : DefaultCasesPerClass;
        int baseSeed = int.TryParse(Environment.GetEnvironmentVariable("EDSOS_TCP_PROPERTY_BASE"), out int b) ? b : 1200;
        for (int i = 0; i < cases; i++)
        {
            await RunCaseAsync(baseSeed + slice + (4 * i));
        }

        _output.WriteLine($"slice {slice}: {cases} cases in {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task RunCaseAsync(int seed)
    {
        var c = TcpCase.Draw(seed);
        var started = Stopwatch.StartNew();
        try
        {
            await RunAsync(c).WaitAsync(s_caseBound);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(
                $"TCP property case failed after {started.Elapsed.TotalSeconds:0.00} s; replay with EDSOS_TCP_PROPERTY_SEED={seed}\n{c}\n{e}");
        }

        _output.WriteLine($"seed {seed}: {c.Total} bytes in {started.Elapsed.TotalMilliseconds:0} ms ({c})");
    }

    private static async Task RunAsync(TcpCase c)
    {
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var faults = new LossyWireOptions { Drop = c.Loss, Duplicate = c.Duplicate, Reorder = c.Reorder };
        using var lossyA = new LossyWire(wireA, faults with { Seed = c.Seed });
        using var lossyB = new LossyWire(wireB, faults with { Seed = c.Seed + 1 });
        await using var hosts = await TwoHosts.StartAsync(lossyA, lossyB, o => o with
        {
            Tcp = new TcpOptions
            {
                ReceiveBuffer = c.ReceiveBuffer,
                InitialRto = TimeSpan.FromMilliseconds(100),
                MinRto = TimeSpan.FromMilliseconds(20),
                MaxRto = TimeSpan.FromSeconds(2),
                DelayedAck = TimeSpan.FromMilliseconds(5),
                Msl = TimeSpan.FromMilliseconds(10),
                TimerTick = TimeSpan.FromMilliseconds(2),
                MaxSynRetransmits = 20,
                MaxRetransmits = 30,
            },
        });

        var wait = TimeSpan.FromSeconds(25);
        var pair = await TcpPair.OpenAsync(hosts, 7, wait);
        var stream = TcpSockets.Pattern(c.Total, c.Seed);
        var reader = TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, c.Total);
        int offset = 0;
        foreach (int size in c.Writes)
        {
            var buffer = pair.Client.Alloc(size);
            Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, stream.AsSpan(offset, size)));
            var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask().WaitAsync(wait);
            Assert.True(sent.IsOk, $"send: {sent.Error}");
            Assert.Equal(size, sent.Value);
            Assert.Equal(Errno.None, pair.Client.Free(buffer));
            offset += size;
        }

        var received = await reader.WaitAsync(wait);

        // In order and exactly once: the bytes read are the stream, and the end of stream follows them (CloseAsync
        // checks that nothing more came); the receiving TCP handed its socket exactly that many bytes.
        Assert.True(stream.AsSpan().SequenceEqual(received), "the bytes read differ from the bytes written");
        await pair.CloseAsync(wait);
        var tcpB = await TcpSockets.CountersAsync(hosts.B);
        Assert.Equal(c.Total, tcpB.BytesDelivered);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, wait);
    }

    /// <summary>One case's parameters, all drawn from its seed.</summary>
    private sealed record TcpCase(int Seed, double Loss, double Duplicate, double Reorder, int ReceiveBuffer, int[] Writes)
    {
        public int Total => Writes.Sum();

        public static TcpCase Draw(int seed)
        {
            var random = new Random(seed);
            double loss = random.NextDouble() < 0.2 ? 0 : random.NextDouble() * 0.3;
            double duplicate = random.NextDouble() < 0.5 ? 0 : random.NextDouble() * 0.1;
            double reorder = random.NextDouble() < 0.5 ? 0 : random.NextDouble() * 0.1;

            // 4 KiB to 64 MiB, log-uniform: 2^12 .. 2^26.
            int buffer = (int)Math.Min(64L * 1024 * 1024, (long)Math.Pow(2, 12 + (random.NextDouble() * 14)));
            int count = random.Next(1, 7);
            var writes = new int[count];
            for (int i = 0; i < count; i++)
            {
                // Mostly small writes, now and then one of several segments.
                writes[i] = random.NextDouble() < 0.7 ? random.Next(1, 3000) : random.Next(3000, 24_000);
            }

            return new TcpCase(seed, loss, duplicate, reorder, buffer, writes);
        }

        public override string ToString() =>
            $"loss {Loss:0.000}, duplicate {Duplicate:0.000}, reorder {Reorder:0.000}, rcvbuf {ReceiveBuffer}, writes [{string.Join(", ", Writes)}]";
    }
}

/// <summary>Seeds base + 0, + 4, ...</summary>
public sealed class TcpPropertySpec0(ITestOutputHelper output) : TcpPropertySpec(output)
{
    [Fact]
    public Task Stream_RandomLossDuplicationReorderWindowAndWrites_EveryByteOnceInOrderNoLeak() => RunSliceAsync(0);
}

/// <summary>Seeds base + 1, + 5, ...</summary>
public sealed class TcpPropertySpec1(ITestOutputHelper output) : TcpPropertySpec(output)
{
    [Fact]
    public Task Stream_RandomLossDuplicationReorderWindowAndWrites_EveryByteOnceInOrderNoLeak() => RunSliceAsync(1);
}

/// <summary>Seeds base + 2, + 6, ...</summary>
public sealed class TcpPropertySpec2(ITestOutputHelper output) : TcpPropertySpec(output)
{
    [Fact]
    public Task Stream_RandomLossDuplicationReorderWindowAndWrites_EveryByteOnceInOrderNoLeak() => RunSliceAsync(2);
}

/// <summary>Seeds base + 3, + 7, ...</summary>
public sealed class TcpPropertySpec3(ITestOutputHelper output) : TcpPropertySpec(output)
{
    [Fact]
    public Task Stream_RandomLossDuplicationReorderWindowAndWrites_EveryByteOnceInOrderNoLeak() => RunSliceAsync(3);
}
