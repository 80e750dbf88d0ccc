using System.Globalization;

namespace Edsos.Host.Cluster;

/// <summary>
/// The HOCON of a console-cluster member: Akka.Cluster on 127.0.0.1, failure detection and downing set for
/// a local cluster, and the serializer chosen by measurement (README, "Console cluster").
/// </summary>
public static class ClusterConfig
{
    /// <summary>The actor system name every member shares (Akka.Cluster joins only systems of one name).</summary>
    public const string SystemName = "edsos";

    /// <summary>The failure detector's heartbeat interval.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long heartbeats may pause before the phi detector marks a member unreachable.</summary>
    public static readonly TimeSpan AcceptableHeartbeatPause = TimeSpan.FromSeconds(1);

    /// <summary>How long the split-brain resolver waits for a stable unreachable set before it downs the minority.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Laid over <see cref="Build"/> for a role process (<c>--role user|net|driver</c>), whose every syscall crosses
    /// Akka.Remote several times: the remoting's endpoint actors run on the host's own dispatcher thread instead of a
    /// pool of their own, one thread wake-up fewer per hop. Measured with host A as three processes (300 UDP echoes,
    /// three pairs interleaved, load 37 to 47 on the 2 cores): 18 to 29 rounds/s (RTT p50 24 to 37 ms) against 15 to
    /// 20 (40 to 52 ms) without it.
    /// </summary>
    public const string RoleProcessTuning = "akka.remote.use-dispatcher = \"akka.actor.default-dispatcher\"";

    /// <summary>
    /// Every dispatcher of a cluster member (the default one, Akka's internal one and the remoting's) on EDSRT's
    /// <c>ParkingExecutor</c>: one thread each that parks on an empty queue. Akka's fork-join threads spin with
    /// <c>sched_yield</c> while idle, and with five members on two cores their spinning starved the threads that had
    /// work: measured on the quiet machine with host A as three processes (UDP, 3000 × 1024), 225 rounds/s with a
    /// round trip p50 of 1.3 ms, against 40 to 78 rounds/s (9 to 23 ms) with fork-join and 87 to 90 (11 ms) with only
    /// the default dispatcher parking.
    /// </summary>
    public const string ParkingDispatchers = """
        akka.actor.default-dispatcher { type = Dispatcher, executor = "Edsos.Scheduler.ParkingExecutorConfigurator, Edsos.Scheduler", parking-executor { thread-count = 1, spin = 0 } }
        akka.actor.internal-dispatcher { type = Dispatcher, executor = "Edsos.Scheduler.ParkingExecutorConfigurator, Edsos.Scheduler", parking-executor { thread-count = 1, spin = 0 } }
        akka.remote.default-remote-dispatcher { type = Dispatcher, executor = "Edsos.Scheduler.ParkingExecutorConfigurator, Edsos.Scheduler", parking-executor { thread-count = 1, spin = 0 } }
        """;

    /// <summary>
    /// The configuration of a member listening on 127.0.0.1:<paramref name="port"/> (0: any free port) with
    /// <paramref name="roles"/>, joining <paramref name="seed"/> (<c>HOST:PORT</c>; null: the member joins itself
    /// later, as the coordinator does).
    /// </summary>
    public static string Build(int port, IReadOnlyList<string> roles, string? seed)
    {
        ArgumentNullException.ThrowIfNull(roles);
        string seeds = seed is null ? string.Empty : $"\"akka.tcp://{SystemName}@{seed}\"";
        string roleList = string.Join(", ", roles.Select(r => $"\"{r}\""));
        return string.Create(CultureInfo.InvariantCulture, $$"""
            akka {
              actor {
                provider = cluster
                serializers {
                  edsos-json = "Edsos.Host.Cluster.EdsosJsonSerializer, edsos"
                }
                serialization-bindings {
                  "Edsos.Host.Cluster.IClusterMessage, edsos" = edsos-json
                  {{EdsosJsonSerializer.Bindings("edsos-json")}}
                }
              }
              remote {
                dot-netty.tcp {
                  hostname = 127.0.0.1
                  port = {{port}}
                  # One echo has one message in flight per hop: Akka's write batching would hold each one back.
                  batching.enabled = false
                }
                watch-failure-detector {
                  heartbeat-interval = {{(int)HeartbeatInterval.TotalMilliseconds}}ms
                  acceptable-heartbeat-pause = {{(int)AcceptableHeartbeatPause.TotalMilliseconds}}ms
                }
              }
              cluster {
                seed-nodes = [{{seeds}}]
                roles = [{{roleList}}]
                min-nr-of-members = 1
                gossip-interval = 250ms
                leader-actions-interval = 250ms
                unreachable-nodes-reaper-interval = 250ms
                periodic-tasks-initial-delay = 250ms
                failure-detector {
                  heartbeat-interval = {{(int)HeartbeatInterval.TotalMilliseconds}}ms
                  acceptable-heartbeat-pause = {{(int)AcceptableHeartbeatPause.TotalMilliseconds}}ms
                  expected-response-after = 250ms
                  threshold = 8.0
                }
                # Akka's split-brain resolver, keep-majority: with the coordinator, A and B up, the two that see
                # each other are the majority and down the one that vanished after stable-after.
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{(int)StableAfter.TotalMilliseconds}}ms
                  down-all-when-unstable = off
                }
                shutdown-after-unsuccessful-join-seed-nodes = 30s
                log-info = off
              }
              coordinated-shutdown.exit-clr = off
            }
            {{ParkingDispatchers}}
            """);
    }
}
