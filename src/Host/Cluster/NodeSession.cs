using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Host.Demo;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Cluster;

/// <summary>
/// The work of one <c>edsos node --role all</c>: its host, and on it host B's echo apps (UDP and TCP on port 7)
/// or host A's echo client. <see cref="FinishAsync"/> runs once: it ends the client, closes the apps and the host
/// in order and reads the arena's counters and leak report, so the report covers everything the host ever held.
/// </summary>
internal sealed class NodeSession
{
    private static readonly TimeSpan s_appsClose = TimeSpan.FromSeconds(10);
    private readonly INodeHost _host;
    private readonly NodeOptions _options;
    private readonly UdpWire? _wire;
    private readonly PeerGate _peer = new();
    private readonly CancellationTokenSource _stopClient = new();
    private readonly TaskCompletionSource<ClusterProtocol.NodeReport> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private EchoServer? _udpEcho;
    private Task? _udpEchoLoop;
    private TcpEchoServer? _tcpEcho;
    private Task? _tcpEchoLoop;
    private Task? _client;
    private bool _finishing;

    public NodeSession(INodeHost host, NodeOptions options, UdpWire? wire)
    {
        _host = host;
        _options = options;
        _wire = wire;
    }

    /// <summary>Called with each step <see cref="FinishAsync"/>'s close enters (from the caller's thread).</summary>
    public Action<string>? Finishing { get; set; }

    /// <summary>Completes with the report once <see cref="FinishAsync"/> ran.</summary>
    public Task<ClusterProtocol.NodeReport> Finished => _finished.Task;

    /// <summary>
    /// Host B: the UDP and TCP echo apps on port 7 (the TCP one serves every connection host A makes, one after another
    /// or side by side, until B closes). Throws when one cannot bind or listen.
    /// </summary>
    public async Task StartEchoAppsAsync()
    {
        var any = new Ipv4Endpoint(Ipv4Address.Any, DemoRunner.EchoPort);
        _udpEcho = new EchoServer(await _host.StartProcessAsync("echo", CancellationToken.None), DataPathMode.ZeroCopy);
        Errno bound = await _udpEcho.BindAsync(any);
        if (bound != Errno.None)
        {
            throw new InvalidOperationException($"the UDP echo app could not bind port {DemoRunner.EchoPort}: {bound}");
        }

        _udpEchoLoop = _udpEcho.RunAsync(DemoOptions.MaxUdpPayload);
        _tcpEcho = new TcpEchoServer(await _host.StartProcessAsync("tcpecho", CancellationToken.None), DataPathMode.ZeroCopy);
        Errno listening = await _tcpEcho.ListenAsync(any);
        if (listening != Errno.None)
        {
            throw new InvalidOperationException($"the TCP echo app could not listen on port {DemoRunner.EchoPort}: {listening}");
        }

        _tcpEchoLoop = _tcpEcho.ServeAsync();
    }

    /// <summary>Host A: starts the echo client (once); its task ends with the tally.</summary>
    public Task<ClusterProtocol.EchoDone> StartEcho(ClusterProtocol.RunEcho run, Action<int> reached)
    {
        lock (_gate)
        {
            if (_client is not null || _finishing)
            {
                return Task.FromResult(new ClusterProtocol.EchoDone(0, 0, 0, 0, 0, 0, 0, 0, 0, ["the echo client runs once per node"], 0, 0));
            }

            // Without the agent's span: each syscall of the client is a trace of its own, as in the one-process demo.
            Task<ClusterProtocol.EchoDone> task;
            using (ExecutionContext.SuppressFlow())
            {
                task = Task.Run(() => RunClientAsync(run, reached));
            }

            _client = task;
            return task;
        }
    }

    /// <summary>Ends the echo client's loop (its task then ends with the tally); the host and its apps go on until the finish.</summary>
    public void EndEcho() => _stopClient.Cancel();

    /// <summary>The cluster's word on the peer host.</summary>
    public void OnPeerStatus(ClusterProtocol.PeerStatus status)
    {
        if (status.Down)
        {
            _peer.SetDown();
        }
        else
        {
            _peer.SetUp();
        }
    }

    /// <summary>Ends the client, closes the apps and the host, reads the counters and the leak report; runs once.</summary>
    public async Task<ClusterProtocol.NodeReport> FinishAsync(string reason)
    {
        Task? client;
        lock (_gate)
        {
            if (_finishing)
            {
                client = null;
            }
            else
            {
                _finishing = true;
                client = _client ?? Task.CompletedTask;
            }
        }

        if (client is null)
        {
            return await _finished.Task;
        }

        try
        {
            Finishing?.Invoke("ending the echo client");
            _stopClient.Cancel();
            await client.WaitAsync(s_appsClose).ContinueWith(_ => { }, TaskScheduler.Default);
            var errors = new List<string>();
            if (_udpEcho is not null)
            {
                await _udpEcho.CloseAsync();
            }

            long framesTx = await _host.FramesSentAsync();
            if (Environment.GetEnvironmentVariable("EDSOS_DEBUG") == "1")
            {
                await Console.Error.WriteLineAsync($"edsos node: host {_options.Host} {_options.Role}: {framesTx} frames sent; wire {_wire?.Counters} received {_wire?.FramesReceived}");
            }

            var scope = _host.LeakScope;

            // How the TCP echo's connections ended before the close (those the close ends are not news).
            var tcpEnded = _tcpEcho?.ConnectionsEnded ?? [];

            Finishing?.Invoke("stopping the host");
            await _host.StopAsync();
            Finishing?.Invoke("waiting for the echo apps");
            foreach (var loop in new[] { _udpEchoLoop, _tcpEchoLoop })
            {
                if (loop is not null && await Task.WhenAny(loop, Task.Delay(s_appsClose)) != loop)
                {
                    errors.Add("an echo app did not end when its host closed");
                }
            }

            var leak = _host.Memory.GetLeakReport();
            var counters = _host.Memory.Counters;
            var mine = leak.Nodes.Where(n => InScope(n.OwnerPath, scope)).ToList();
            var leaks = mine.Select(n => $"host {_options.Host}: {(n.IsCtrn ? "CTRN" : "node")} {n.Path} ({n.Length} bytes)")
                .Concat(leak.DoubleReleases.Select(d => $"host {_options.Host}: double release {d}"))
                .Concat(errors).ToArray();
            var (reaped, lifted, liftedCtrns) = _host.Reaped;
            var report = new ClusterProtocol.NodeReport(
                _options.Host, _options.Role, Environment.ProcessId, counters.PayloadBytesCopied, counters.HeaderBytesCopied,
                counters.DmaBytesRead + counters.DmaBytesWritten, framesTx, _wire?.Counters.FramesDropped ?? 0,
                (_udpEcho?.Echoed ?? 0) + (_tcpEcho?.Echoes ?? 0), leak.PagesInUse, mine.Count(n => n.IsCtrn), mine.Count, leaks)
            {
                Arena = _options.Arena ?? string.Empty,
                ArenaNodes = leak.Nodes.Count,
                ReapedProcesses = reaped,
                LiftedNodes = lifted,
                LiftedCtrns = liftedCtrns,
                DeathsHandledAtUnixMs = [.. _host.DeathsHandledAt],
                Events = [.. _host.Events, .. tcpEnded],
            };
            Finishing?.Invoke("report made (the node's main task prints it next)");
            _finished.TrySetResult(report);
            return report;
        }
        catch (Exception e)
        {
            _finished.TrySetException(new InvalidOperationException($"closing host {_options.Host} failed ({reason}): {e.Message}", e));
            throw;
        }
    }

    private static bool InScope(string path, IReadOnlyList<string> scope)
    {
        foreach (string root in scope)
        {
            if (root == "/" || path == root || path.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private async Task<ClusterProtocol.EchoDone> RunClientAsync(ClusterProtocol.RunEcho run, Action<int> reached)
    {
        var libc = await _host.StartProcessAsync(_options.App, _stopClient.Token);
        if (ClusterTcpEchoClient.Serves(run))
        {
            return await ClusterTcpEchoClient.RunAsync(libc, run, _peer, reached, _stopClient.Token);
        }

        if (run.Proto == "tcp")
        {
            var options = new DemoOptions { Proto = "tcp", Sends = run.Sends, Size = run.Size, Pings = 0 };
            var (tally, ok, bad) = await TcpDemoRunner.RunEchoClientAsync(libc, options, null, new Ipv4Endpoint(DemoRunner.AddressB.Address, DemoRunner.EchoPort), _stopClient.Token);
            return new ClusterProtocol.EchoDone(
                ok, bad, Math.Max(0, tally.Attempted - ok - bad), tally.Attempted, 0, tally.Elapsed.TotalSeconds,
                tally.SendMicros.PercentileMicros(0.50), tally.SendMicros.PercentileMicros(0.99), tally.RttMicros.PercentileMicros(0.50),
                [.. tally.ErrorsForReport()], tally.SteadyPerSec, tally.SteadyFromRound);
        }

        return await ClusterEchoClient.RunAsync(libc, run, _peer, run.Resume, reached, _stopClient.Token);
    }
}
