using Akka.Actor;
using Akka.DependencyInjection;
using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Scheduler;
using Edsos.SocketService;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edsos.Host.Cluster;

/// <summary>
/// One role of an EDSOS host in this OS process (<c>edsos node --role user|net|driver</c>): the host's arena file opened
/// with <see cref="MemoryManager.OpenShared"/> (the same geometry in every process; the first opener creates it) and only
/// this role's part of the host built on it. <c>driver</c>: the NIC driver workers and the virtual NIC on the wire;
/// <c>net</c>: the inet stack and the socket table, the driver reached through a <see cref="DriverLink"/>; <c>user</c>:
/// the user processes (KPN and libc), the socket table and ICMP reached through a <see cref="NetLink"/>. The other roles
/// are found by the cluster's membership (<see cref="PeerWatch"/>) and fixed actor paths (<c>/user/eth0-tx</c>,
/// <c>/user/eth0-rx</c>, <c>/user/sockets</c>, <c>/user/inet-icmp</c>) resolved with <c>Identify</c>, again whenever a
/// role process restarts. A dead peer is reaped (its TSs exit) and handled: net closes the sockets of a dead user's TSs,
/// net fails sends with ENETDOWN while the driver is gone, user fails syscalls with ENETDOWN while net is gone.
/// </summary>
internal sealed class RoleHost : INodeHost
{
    /// <summary>Pages of a role host's arena (4 KiB each); every process of a host opens it with this geometry.</summary>
    public const int ArenaPages = 8192;

    /// <summary>The NIC's name: its workers are <c>/user/eth0-tx</c> and <c>/user/eth0-rx</c> in the driver process.</summary>
    public const string NicName = "eth0";

    /// <summary>The socket table's actor name in the net process.</summary>
    public const string SocketTableName = "sockets";

    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_findTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(1);
    private readonly List<Libc> _processes = [];
    private readonly TaskCompletionSource _peerFound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<string> _events = [];
    private readonly List<long> _deaths = [];
    private IActorRef? _driverLink;
    private IActorRef? _netLink;
    private int _reaped;
    private int _liftedNodes;
    private int _liftedCtrns;
    private int _sweptFrames;
    private bool _stopped;

    private RoleHost(NodeOptions options, EdsosHostOptions hostOptions, ActorSystem system, MemoryManager memory)
    {
        Options = options;
        HostOptions = hostOptions;
        System = system;
        Memory = memory;
    }

    /// <summary>This process's node options.</summary>
    public NodeOptions Options { get; }

    /// <summary>The host's addresses and data path.</summary>
    public EdsosHostOptions HostOptions { get; }

    /// <summary>This process's runtime.</summary>
    public ActorSystem System { get; }

    /// <summary>This process's view of the host's shared arena.</summary>
    public MemoryManager Memory { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> LeakScope => Options.Role switch
    {
        "user" => ProcessPaths(),
        "net" => ["/net"],
        _ => ["/drivers"],
    };

    /// <inheritdoc />
    public async Task<long> FramesSentAsync() => Nic is { } nic ? (await NicDriver.GetStatisticsAsync(nic).ConfigureAwait(false)).FramesSent : 0;

    /// <summary>The NIC (driver role), else null.</summary>
    public NicHandle? Nic { get; private set; }

    /// <summary>The inet stack (net role), else null.</summary>
    public InetStackHandle? Inet { get; private set; }

    /// <summary>The socket table (net role), else null.</summary>
    public IActorRef? Sockets { get; private set; }

    /// <summary>Dead peer processes this process reaped, the nodes their TS exits revoked, and of those the CTRNs.</summary>
    public (int Processes, int LiftedNodes, int LiftedCtrns) Reaped
    {
        get
        {
            lock (_gate)
            {
                return (_reaped, _liftedNodes, _liftedCtrns);
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<long> DeathsHandledAt
    {
        get
        {
            lock (_gate)
            {
                return [.. _deaths];
            }
        }
    }

    /// <summary>What happened to the peers (died, reaped, found again), one line each, for the node's report.</summary>
    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>
    /// Opens the arena, starts the runtime (a cluster member with <paramref name="hostOptions"/>' configuration) and this
    /// process's reaper. The role's services start in <see cref="ComposeAsync"/>, once the member is up.
    /// </summary>
    public static RoleHost Create(NodeOptions options, EdsosHostOptions hostOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hostOptions);
        string arena = options.Arena ?? throw new ArgumentException("a role process needs --arena", nameof(options));
        var memory = MemoryManager.OpenShared(arena, MemoryManager.SharedOptions(ArenaPages));
        var services = new ServiceCollection()
            .AddSingleton(memory)
            .AddSingleton(hostOptions)
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .BuildServiceProvider();
        ActorSystem system;
        try
        {
            system = Edsrt.Create(hostOptions.SystemName ?? hostOptions.Name, new EdsrtOptions
            {
                ExtraConfig = hostOptions.AkkaConfig,
                Memory = memory,
                Services = services,
                LoggerFactory = services.GetRequiredService<ILoggerFactory>(),
                DispatcherThreads = hostOptions.Workers,
            });
        }
        catch
        {
            services.Dispose();
            memory.Dispose();
            throw;
        }

        system.RegisterOnTermination(services.Dispose);
        var host = new RoleHost(options, hostOptions, system, memory);
        if (options.Role == "user")
        {
            host._netLink = system.ActorOf(Props.Create(() => new NetLink()), "net-link");
        }

        system.ActorOf(Props.Create(() => new PeerWatch(options.Host, memory, host.OnPeerEvent)), "peer-watch");
        return host;
    }

    /// <summary>
    /// Builds this role's services: the driver at once; net once the host's driver process is found, user once its
    /// net process is found (each waits at most a minute, then throws <see cref="TimeoutException"/>).
    /// </summary>
    public async Task ComposeAsync(IWire? wire, CancellationToken stop)
    {
        switch (Options.Role)
        {
            case "driver":
                Nic = await NicDriver.StartAsync(System, NicOptionsFor(HostOptions), wire ?? new NullWire()).ConfigureAwait(false);
                break;

            case "net" or "user":
                await _peerFound.Task.WaitAsync(s_findTimeout, stop).ConfigureAwait(false);
                break;

            default:
                throw new ArgumentException($"a role host runs user, net or driver, not '{Options.Role}'");
        }
    }

    /// <summary>
    /// User role: waits until the net process is found (at most a minute), then starts a user process
    /// <c>/user_proc/{name}</c> whose KPN reaches the remote socket table through this process's link.
    /// </summary>
    public async Task<Libc> StartProcessAsync(string name, CancellationToken stop)
    {
        if (_netLink is not { } link)
        {
            throw new InvalidOperationException("only the user role starts user processes");
        }

        await _peerFound.Task.WaitAsync(s_findTimeout, stop).ConfigureAwait(false);
        var libc = UserProcess.Start(System, name, link, link, HostOptions.Mode);
        lock (_gate)
        {
            _processes.Add(libc);
        }

        return libc;
    }

    /// <summary>
    /// Closes this role's part in order: user: every process exits (its KPN closes its sockets in net); net: the socket
    /// table stops, the stack quiesces and releases what it holds; driver: the NIC resets and releases its rings and
    /// buffers. The runtime keeps running until <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        List<Libc> processes;
        lock (_gate)
        {
            processes = [.. _processes];
        }

        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                await process.ExitAsync().ConfigureAwait(false);
            }
        }

        if (Sockets is { } sockets)
        {
            System.Stop(sockets);
        }

        if (Inet is { } inet)
        {
            // The driver closes after net and may still hand up a frame: once the stack has stopped, it is swept from
            // the dead letters, and the close waits (briefly) for the frames in flight, so the leak report is true.
            System.ActorOf(Props.Create(() => new DeadFrameSweeper(Memory, inet.RxTs, n => Volatile.Write(ref _sweptFrames, n))), DeadFrameSweeper.Name);
            await InetStack.StopAsync(System, inet, s_stopTimeout).ConfigureAwait(false);
            await SettleAsync(inet.RxTs).ConfigureAwait(false);
            if (Volatile.Read(ref _sweptFrames) is > 0 and int swept)
            {
                Note($"{swept} frames reached net after its stack stopped: released from its receive TS");
            }
        }

        if (Nic is { } nic)
        {
            await NicDriver.StopAsync(System, nic, s_stopTimeout).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the role if needed, terminates the runtime and detaches from the arena (this process's TS exit).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await System.Terminate().ConfigureAwait(false);
            Memory.Dispose();
        }
    }

    /// <summary>Waits until <paramref name="ts"/> holds no node, at most <see cref="s_settle"/> (frames on their way are swept as they land).</summary>
    private async Task SettleAsync(TsId ts)
    {
        var deadline = DateTime.UtcNow + s_settle;
        while (Memory.GetLeakReport(ts).Nodes.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private string[] ProcessPaths()
    {
        lock (_gate)
        {
            return [.. _processes.Select(p => UserProcess.UserTsPath(p.Name))];
        }
    }

    /// <summary>The NIC options of a host (the one-process host uses the same).</summary>
    public static NicOptions NicOptionsFor(EdsosHostOptions options) => new() { Name = NicName, Tso = options.Tso };

    private void Note(string line)
    {
        lock (_gate)
        {
            _events.Add(line);
        }
    }

    /// <summary>The reaper's reports, on its thread: find, re-find or give up on the peers this role depends on.</summary>
    private void OnPeerEvent(object report)
    {
        switch (report)
        {
            case PeerWatch.PeerUp up when Options.Role == "net" && up.Role == "driver":
                _ = FindDriverAsync(up.Address);
                break;

            case PeerWatch.PeerUp up when Options.Role == "user" && up.Role == "net":
                _ = FindNetAsync(up.Address);
                break;

            case PeerWatch.PeerDied died:
                lock (_gate)
                {
                    _reaped += died.Reap.Processes;
                    _liftedNodes += died.Reap.RevokedNodes;
                    _liftedCtrns += died.Reap.RevokedCtrns;
                    _deaths.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                }

                Note($"{died.Role} pid {died.Pid} died: noticed and reaped in {died.NoticedAfter.TotalMilliseconds:0} ms, {died.Reap.LiftedTs} TSs exited, {died.Reap.RevokedNodes} nodes lifted here ({died.Reap.RevokedCtrns} CTRNs), {died.Reap.ReleasedPins} pins released");
                OnPeerDied(died.Role);
                break;
        }
    }

    private void OnPeerDied(string role)
    {
        if (Options.Role == "net" && role == "driver")
        {
            _driverLink?.Tell(DriverLink.DriverDown.Instance);
        }
        else if (Options.Role == "net" && role == "user" && Sockets is { } sockets)
        {
            sockets.Ask<SocketProtocol.OrphansClosed>(new SocketProtocol.CloseOrphans(), s_stopTimeout)
                .ContinueWith(t => Note(t.IsCompletedSuccessfully ? $"closed {t.Result.Sockets} sockets of the dead user's TSs" : "the socket table did not answer CloseOrphans"), TaskScheduler.Default);
        }
        else if (Options.Role == "driver" && role == "net" && Nic is { } nic)
        {
            // Net's receive worker is gone: what the NIC receives until a net attaches again is dropped here. Shared into
            // net's receive TS it would reach no one, and a restarted net revives that TS before its AttachRx arrives, so
            // each such frame (a peer's TCP retransmission, say) would stay there, a leak of the new net.
            nic.RxWorker.Tell(new DriverProtocol.AttachRx(ActorRefs.Nobody, TsId.None), ActorRefs.NoSender);
        }
        else if (Options.Role == "user" && role == "net")
        {
            _netLink?.Tell(new NetLink.NetDown("the net process died"));
        }
    }

    private async Task FindDriverAsync(Address address)
    {
        var tx = await IdentifyAsync(address, $"/user/{NicName}-tx").ConfigureAwait(false);
        var rx = await IdentifyAsync(address, $"/user/{NicName}-rx").ConfigureAwait(false);
        if (tx is null || rx is null)
        {
            Note($"the driver at {address} was not found");
            return;
        }

        lock (_gate)
        {
            if (_driverLink is null)
            {
                // First driver: the stack starts on it.
                var driverTs = Memory.FindTs(NicOptionsFor(HostOptions).TsPath);
                if (!driverTs.IsOk)
                {
                    Note($"the driver's TS is not in the arena: {driverTs.Error}");
                    return;
                }

                var ts = driverTs.Value;
                _driverLink = System.ActorOf(Props.Create(() => new DriverLink(ts)), "driver-link");
                _driverLink.Tell(new DriverLink.DriverUp(tx, rx));
                StartStack(ts);
                _peerFound.TrySetResult();
                return;
            }
        }

        _driverLink.Tell(new DriverLink.DriverUp(tx, rx));
        Note($"driver at {address} found again: the stack re-attached");
    }

    private void StartStack(TsId driverTs)
    {
        var nicOptions = NicOptionsFor(HostOptions);
        var tcp = HostOptions.Tcp.NicReceiveBuffers == 0 ? HostOptions.Tcp with { NicReceiveBuffers = nicOptions.RxRingSize - 1 } : HostOptions.Tcp;
        Inet = InetStack.Start(
            System,
            new InetStackOptions { Mac = HostOptions.Mac, Address = HostOptions.Address, Mtu = HostOptions.Mtu, Tso = HostOptions.Tso, ProbeGatewayOnStart = false, Tcp = tcp },
            _driverLink!,
            _driverLink!,
            driverTs);
        var tableOptions = new SocketTableOptions { Family = Inet.Family, Mode = HostOptions.Mode };
        System.Edsrt.EnsureTs(tableOptions.TsPath);
        Sockets = System.ActorOf(DependencyResolver.For(System).Props<SocketTable>(tableOptions).WithTs(tableOptions.TsPath), SocketTableName);
    }

    private async Task FindNetAsync(Address address)
    {
        var table = await IdentifyAsync(address, $"/user/{SocketTableName}").ConfigureAwait(false);
        var icmp = await IdentifyAsync(address, $"/user/{new InetStackOptions { Mac = HostOptions.Mac, Address = HostOptions.Address }.ActorNamePrefix}-icmp").ConfigureAwait(false);
        if (table is null || icmp is null)
        {
            Note($"the net process at {address} was not found");
            return;
        }

        IActorRef? link;
        lock (_gate)
        {
            link = _netLink;
        }

        link?.Tell(new NetLink.NetUp(table, icmp));
        if (!_peerFound.TrySetResult())
        {
            Note($"net at {address} found again: new sockets go there");
        }
    }

    /// <summary>Resolves <paramref name="path"/> at <paramref name="address"/>, asking again every 200 ms for a minute; null if never found.</summary>
    private async Task<IActorRef?> IdentifyAsync(Address address, string path)
    {
        var selection = System.ActorSelection(address + path);
        var deadline = DateTime.UtcNow + s_findTimeout;
        while (DateTime.UtcNow < deadline && !_stopped)
        {
            try
            {
                var identity = await selection.Ask<ActorIdentity>(new Identify(path), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                if (identity.Subject is { } found)
                {
                    return found;
                }
            }
            catch (AskTimeoutException)
            {
                // The member is up but its actors are not yet: ask again.
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        return null;
    }
}
