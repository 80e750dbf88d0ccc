using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Edsos.Driver.Wires;
using Edsos.Host.Demo;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench idle</c>: the demo's two hosts joined by a loopback wire, B's echo app bound and
/// waiting in <c>recv</c>; A's app echoes a few hundred datagrams first (so every thread has run and the
/// code is compiled), then nothing is sent or received; after a warm-up, the process CPU time over the
/// measured seconds as a percentage of one core. An idle host should cost next to nothing: a dispatcher
/// thread that spins, a timer that ticks or a driver that polls shows here.
/// </summary>
public static class IdleBench
{
    /// <summary>Echo rounds before the idle window.</summary>
    public const int TrafficRounds = 300;

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The measurement: CPU per core over the idle window, and what it was measured over.</summary>
    /// <param name="Seconds">Wall time measured.</param>
    /// <param name="CpuSeconds">Process CPU time (every thread) in that window.</param>
    /// <param name="CpuPercentOfCore">CPU time / wall time × 100.</param>
    /// <param name="Threads">Threads of the process at the end.</param>
    public sealed record Result(double Seconds, double CpuSeconds, double CpuPercentOfCore, int Threads);

    /// <summary>
    /// Starts both hosts, waits <paramref name="warmupSeconds"/>, measures <paramref name="seconds"/>, stops
    /// the hosts and writes one line (or, with <paramref name="json"/>, one JSON object). Returns 0, or 130
    /// when <paramref name="stop"/> fired before the measurement ended.
    /// </summary>
    public static async Task<int> RunAsync(double seconds, double warmupSeconds, bool json, TextWriter output, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var demo = new DemoOptions { Sends = TrafficRounds };
        var (wireA, wireB) = LoopbackWire.CreatePair();
        await using var hostA = await EdsosHost.StartAsync(DemoRunner.HostOptions("A", DemoRunner.AddressA, "02:00:00:00:00:01", demo), wireA);
        await using var hostB = await EdsosHost.StartAsync(DemoRunner.HostOptions("B", DemoRunner.AddressB, "02:00:00:00:00:02", demo), wireB);
        var echo = new EchoServer(hostB.StartProcess("echo"), DataPathMode.ZeroCopy);
        if (await echo.BindAsync(new Ipv4Endpoint(Ipv4Address.Any, DemoRunner.EchoPort)) != Errno.None)
        {
            throw new InvalidOperationException("echo app on host B could not bind");
        }

        Task echoLoop = echo.RunAsync(demo.Size);
        var app = hostA.StartProcess("app");
        Result result;
        try
        {
            var (_, ok, _) = await DemoRunner.RunEchoClientAsync(app, demo, null, new Ipv4Endpoint(DemoRunner.AddressB.Address, DemoRunner.EchoPort), stop);
            if (ok != TrafficRounds && !stop.IsCancellationRequested)
            {
                throw new InvalidOperationException($"only {ok} of {TrafficRounds} warm-up echoes came back right");
            }

            await Task.Delay(TimeSpan.FromSeconds(warmupSeconds), stop);
            using var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(seconds), stop);
            process.Refresh();
            double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double used = (process.TotalProcessorTime - cpu).TotalSeconds;
            result = new Result(wall, used, used / wall * 100, process.Threads.Count);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await echo.CloseAsync();
            return ExitCodes.Interrupted;
        }

        await echo.CloseAsync();
        await echoLoop;
        await hostA.StopAsync();
        await hostB.StopAsync();
        await output.WriteLineAsync(json
            ? JsonSerializer.Serialize(result, s_json)
            : string.Create(CultureInfo.InvariantCulture, $"idle: two hosts, nothing sent, {result.Seconds:0.0} s: {result.CpuSeconds * 1000:0} ms CPU, {result.CpuPercentOfCore:0.00} % of one core ({result.Threads} threads)"));
        return 0;
    }
}
