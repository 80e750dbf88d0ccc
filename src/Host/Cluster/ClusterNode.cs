using Akka.Actor;
using Akka.Cluster;
using Edsos.Driver.Wires;
using Edsos.Host.Demo;
using Edsos.Protocol.Wire;

namespace Edsos.Host.Cluster;

/// <summary>
/// <c>edsos node</c>: one EDSOS host in this process, a member of an Akka.Cluster on 127.0.0.1. It starts the
/// host on its wire, joins the seed (or itself), prints one ready line once it is Up, tells the coordinator at
/// the seed (if there is one) that it is ready, and then runs until the coordinator's
/// <see cref="ClusterProtocol.Finish"/>, a signal, the coordinator leaving the cluster, or its own removal.
/// On every path it closes the host and prints one line with its leak report.
/// </summary>
public static class ClusterNode
{
    /// <summary>How long a node waits to become an Up member before it gives up.</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The role every coordinator carries; a node whose coordinator leaves the cluster ends too.</summary>
    public const string CoordinatorRole = "coordinator";

    /// <summary>Runs one node; returns the exit code (0: closed clean, 1: a leak or a failure).</summary>
    public static async Task<int> RunAsync(NodeOptions options, TextWriter output, TextWriter error, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        bool isA = options.Host == "A";
        using var telemetry = Telemetry.TelemetrySession.Start(options.Telemetry, [ClusterConfig.SystemName], options.ServiceHost);
        try
        {
            return await RunHostAsync(options, isA, output, error, stop);
        }
        finally
        {
            if (telemetry.IsTracing && !telemetry.Flush())
            {
                await error.WriteLineAsync($"edsos node: host {options.Host}: the trace export did not finish{(telemetry.ExportError is { } e ? $": {e}" : string.Empty)}");
            }

            if (options.Telemetry.TraceFile is { } file && telemetry.Collector is { } collector)
            {
                Telemetry.JaegerTraceFile.Write(file, collector.Spans);
            }
        }
    }

    private static async Task<int> RunHostAsync(NodeOptions options, bool isA, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var ports = NodeOptions.ParseWire(options.Wire);
        UdpWire? udp = ports is { } p ? new UdpWire(p.Local, p.Peer) : null;
        IWire wire = udp ?? (IWire)new NullWire();
        var hostOptions = new EdsosHostOptions
        {
            Name = options.Host,
            SystemName = ClusterConfig.SystemName,
            AkkaConfig = ClusterConfig.Build(options.Port, [options.Role, PeerWatch.HostRole(options.Host), PeerWatch.PidRole(Environment.ProcessId)], options.Seed)
                + (options.Role == "all" ? string.Empty : Environment.NewLine + ClusterConfig.RoleProcessTuning),
            Address = isA ? DemoRunner.AddressA : DemoRunner.AddressB,
            Mac = MacAddress.Parse(isA ? "02:00:00:00:00:01" : "02:00:00:00:00:02"),
        };

        INodeHost host;
        RoleHost? role = null;
        try
        {
            if (options.Role == "all")
            {
                host = new AllRolesHost(await EdsosHost.StartAsync(hostOptions, wire));
            }
            else
            {
                host = role = RoleHost.Create(options, hostOptions);
            }
        }
        catch
        {
            udp?.Dispose();
            throw;
        }

        // A role process's events to the host's other role processes go by lane, not Akka.Remote (Lanes/LaneRoute.cs).
        var lanes = role is not null && options.Transport != "akka" ? Lanes.LaneRoute.Start(host.System, readOnDispatcher: options.Transport == "lanes") : null;
        var session = new NodeSession(host, options, udp);
        var closing = new ClosingWatch(output, $"edsos node: host {options.Host} role {options.Role}");
        session.Finishing = closing.Step;
        try
        {
            if (!isA && role is null)
            {
                await session.StartEchoAppsAsync();
            }

            var cluster = Akka.Cluster.Cluster.Get(host.System);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var gone = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            cluster.RegisterOnMemberRemoved(() => gone.TrySetResult("this node was removed from the cluster"));
            host.System.ActorOf(Props.Create(() => new CoordinatorWatch(gone)), "coordinator-watch");
            if (options.Seed is null)
            {
                cluster.Join(cluster.SelfAddress);
            }

            await up.Task.WaitAsync(JoinTimeout, stop);
            if (role is not null)
            {
                // A role process builds its part once it is a member: it finds the roles it needs by the membership.
                await role.ComposeAsync(udp is null ? null : wire, stop);
                if (!isA && options.Role == "user")
                {
                    await session.StartEchoAppsAsync();
                }
            }

            var agent = host.System.ActorOf(Props.Create(() => new NodeAgent(session)), "node");
            string address = cluster.SelfAddress.ToString();
            await output.WriteLineAsync($"edsos node: host {options.Host} role {options.Role} pid {Environment.ProcessId} member {address} wire {wire.Name}: ready");
            await output.FlushAsync(CancellationToken.None);
            if (options.Seed is not null)
            {
                await TellCoordinatorAsync(host.System, options, address, agent);
            }

            var ended = await Task.WhenAny(session.Finished, gone.Task, Task.Delay(Timeout.Infinite, stop));
            string reason = ended == session.Finished ? "finished" : ended == gone.Task ? await gone.Task : "a signal";
            closing.Step($"the run ended ({reason}): closing the host");
            var report = await session.FinishAsync(reason);
            closing.Step("printing the report");
            if (lanes is not null)
            {
                await output.WriteLineAsync($"edsos node: host {options.Host} role {options.Role}: {lanes.Describe()}");
            }

            foreach (string line in report.Events)
            {
                await output.WriteLineAsync($"edsos node: host {options.Host} role {options.Role}: {line}");
            }

            await output.WriteLineAsync(role is null
                ? $"edsos node: host {options.Host} pid {Environment.ProcessId} closed ({reason}): leaks {report.LeakedPages} pages, {report.LeakedCtrns} CTRNs, {report.LeakedNodes} nodes"
                : $"edsos node: host {options.Host} role {options.Role} pid {Environment.ProcessId} closed ({reason}): leaks {report.LeakedCtrns} CTRNs, {report.LeakedNodes} nodes of its TSs; arena {report.LeakedPages} pages, {report.ArenaNodes} nodes live (any role)");
            await output.FlushAsync(CancellationToken.None);

            // A role process answers for its own TSs; the pages of the shared arena are the last closer's to judge.
            bool clean = (role is not null || report.LeakedPages == 0) && report.LeakedNodes == 0 && report.Leaks.Length == 0;
            return clean && ended != gone.Task ? ExitCodes.Ok : ExitCodes.Failed;
        }
        catch (TimeoutException)
        {
            await error.WriteLineAsync(role is not null && Akka.Cluster.Cluster.Get(host.System).SelfMember.Status == MemberStatus.Up
                ? $"edsos node: host {options.Host} role {options.Role}: the {(options.Role == "net" ? "driver" : "net")} process of host {options.Host} was not found within a minute"
                : $"edsos node: host {options.Host} did not become an Up member within {JoinTimeout.TotalSeconds:0} s (seed {options.Seed ?? "itself"})");
            return ExitCodes.Failed;
        }
        finally
        {
            // Terminate runs Akka's coordinated shutdown: the member leaves the cluster before the system stops.
            closing.Step("closing the lanes");
            lanes?.Dispose();
            closing.Step("stopping the actor system");
            await host.DisposeAsync();
            udp?.Dispose();
            closing.Dispose();
        }
    }

    private static async Task TellCoordinatorAsync(ActorSystem system, NodeOptions options, string address, IActorRef agent)
    {
        var wait = TimeSpan.FromSeconds(10);
        for (int attempt = 1; ; attempt++)
        {
            var asked = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var coordinator = await system.ActorSelection($"akka.tcp://{ClusterConfig.SystemName}@{options.Seed}/user/{ClusterCoordinator.Name}")
                    .ResolveOne(wait);
                coordinator.Tell(new ClusterProtocol.NodeReady(options.Host, options.Role, Environment.ProcessId, address, agent), agent);
                return;
            }
            catch (ActorNotFoundException) when (asked.Elapsed < wait * 0.9 || attempt == 3)
            {
                // The seed answered that it has no coordinator: a cluster a person started by hand (or, after three
                // unanswered tries, none will answer).
                return;
            }
            catch (ActorNotFoundException)
            {
                // No answer within the wait (a loaded machine): a coordinator that never hears of this node would never
                // send it its finish, so ask again.
            }
        }
    }

    /// <summary>Completes <c>gone</c> when a coordinator member leaves or is removed: a node never outlives its demo.</summary>
    private sealed class CoordinatorWatch : ReceiveActor
    {
        public CoordinatorWatch(TaskCompletionSource<string> gone)
        {
            Receive<ClusterEvent.MemberRemoved>(removed =>
            {
                if (removed.Member.HasRole(CoordinatorRole))
                {
                    gone.TrySetResult($"the coordinator {removed.Member.Address} left the cluster");
                }
            });
            Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
