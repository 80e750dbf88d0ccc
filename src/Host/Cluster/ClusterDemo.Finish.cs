using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster;

/// <summary><c>cluster demo</c>'s close: every live node gets its finish, in waves, and its report is awaited.</summary>
public static partial class ClusterDemo
{
    private sealed partial class RunState
    {
        public async Task FinishAsync(ChannelReader<ClusterCoordinator.Arrival> reader, IActorRef coordinator, string reason)
        {
            // In waves: the apps first (their sockets close in net), then net (its stack lets go of what it shares into
            // the driver), then the driver, whose report is its arena's last word.
            // Each wave is taken from the nodes known when it starts, and a last one takes any node that said it was
            // ready after its wave went (a restarted process late to start): every live node gets its finish.
            var told = new HashSet<int>();
            for (int wave = 0; wave <= 3; wave++)
            {
                var nodes = Nodes.Where(n => Alive(n.Value.Pid) && !told.Contains(n.Value.Pid) && (wave == 3 || WaveOf(n.Key) == wave))
                    .Select(n => n.Value).ToList();
                foreach (var node in nodes)
                {
                    told.Add(node.Pid);
                    node.Node.TellTraced(new ClusterProtocol.Finish(reason), coordinator);
                }

                var deadline = Stopwatch.StartNew();
                while (nodes.Any(n => !_reports.Any(r => r.Pid == n.Pid)) && deadline.Elapsed < s_reportTimeout)
                {
                    var arrival = await ReadAsync(reader, TimeSpan.FromMilliseconds(500), CancellationToken.None);
                    if (arrival is not null)
                    {
                        Observe(arrival, null, null);
                    }

                    if (nodes.Where(n => !_reports.Any(r => r.Pid == n.Pid)).Any(n => !Alive(n.Pid)))
                    {
                        break;
                    }
                }
            }

            foreach (var node in Nodes.Values.Where(n => told.Contains(n.Pid) && !_reports.Any(r => r.Pid == n.Pid)))
            {
                Errors.Add($"host {node.Host} {node.Role} (pid {node.Pid}) sent no report");
            }

            foreach (var process in _processes.Where(p => !WasKilled(p) && !p.HasExited && !Nodes.Values.Any(n => n.Pid == p.Pid)))
            {
                Errors.Add($"host {process.Host}'s {process.Role} process {process.Pid} never said it was ready (so got no finish)");
            }

            foreach (var process in _processes.Where(p => !WasKilled(p)))
            {
                if (!await process.WaitForExitAsync(s_exitTimeout))
                {
                    Errors.Add($"host {process.Host}'s process {process.Pid} did not exit within {s_exitTimeout.TotalSeconds:0} s of its report; killed (its last line: {process.Lines.LastOrDefault() ?? "none"})");
                    process.Kill();
                    _ended[process.Pid] = "killed at cleanup";
                }
                else
                {
                    _ended[process.Pid] = $"exit {process.ExitCode}";
                    if (process.ExitCode != 0)
                    {
                        Errors.Add($"host {process.Host}'s process {process.Pid} exited with {process.ExitCode}: {string.Join(" | ", process.Lines.TakeLast(2))}");
                    }
                }
            }
        }

        /// <summary>The finish wave of a node: the apps first, then net, then the driver (its report is the arena's last word).</summary>
        private static int WaveOf(string key) => key switch { "A/net" => 1, "A/driver" => 2, _ => 0 };
    }
}
