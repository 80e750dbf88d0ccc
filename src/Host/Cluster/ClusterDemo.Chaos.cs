using System.Diagnostics;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster;

/// <summary>
/// <c>cluster demo --chaos K --seed S</c>: K SIGKILLs in a row while host A's app runs its echo. Each kill picks, from
/// the seeded generator, a process (the victim user process, net, driver or host B; the first four kills take each
/// once, in a seeded order, so a run of four or more kills every kind), a number of echoes to wait for
/// after the previous process came back (20 to 200), and how far into the round to strike (0 to 1.5 ms after the
/// coordinator heard of the last echo, so the kill lands anywhere in a send: in a memory operation, a DMA, a reap).
/// The killed process is restarted as soon as the cluster removed it, and the next kill waits until it is back.
/// </summary>
public static partial class ClusterDemo
{
    /// <summary>In a chaos run the app reports its echoes every this many, the coordinator's clock for the kills.</summary>
    private const int ChaosNotifyEvery = 10;

    private static readonly string[] s_chaosTargets = ["user", "net", "driver", "B"];

    private sealed partial class RunState
    {
        private readonly TextWriter _progress;
        private readonly Random _chaos;
        private readonly List<ClusterKillRecord> _kills = [];
        private string? _chaosTarget;
        private bool _chaosArmed;
        private int _chaosNextAt;
        private int _lastEchoed;
        private int _chaosEndAt;
        private bool _chaosEnded;
        private string[] _chaosFirstFour = [];
        private readonly HashSet<NodeProcess> _killedBefore = [];

        /// <summary>The kills of a chaos run so far, each with what the cluster saw of it.</summary>
        public IReadOnlyList<ClusterKillRecord> Kills => _kills;

        /// <summary>Tells the victim user process to run an echo of its own (so its sockets are busy when it dies); in a chaos run it rides out the other kills.</summary>
        public void RunVictimEcho()
        {
            if (Nodes.TryGetValue(ClusterDemoOptions.KillKeyOf("user"), out var victim))
            {
                victim.Node.TellTraced(
                    new ClusterProtocol.RunEcho(_options.Proto, int.MaxValue, _options.Size, 0, _options.EchoTimeout.TotalSeconds, _options.Chaos > 0), Coordinator);
            }
        }

        /// <summary>True for a process the demo SIGKILLed (the current kill's or an earlier chaos kill's).</summary>
        private bool WasKilled(NodeProcess process) => process == _killed || _killedBefore.Contains(process);

        /// <summary>True when a cluster message came from host A's app node (the victim's messages are not the echo's).</summary>
        private bool FromApp(ClusterCoordinator.Arrival arrival) =>
            arrival.From is null || arrival.From.IsNobody() || !Nodes.TryGetValue("A", out var app) || arrival.From.Path.Address.Equals(app.Node.Path.Address);

        /// <summary>The app's echoes reached <paramref name="echoed"/>: the next kill, when one is due.</summary>
        private void OnChaosProgress(int echoed)
        {
            _lastEchoed = echoed;
            if (_chaosEndAt > 0 && echoed >= _chaosEndAt && !_chaosEnded)
            {
                // Every kill made and its process back, and the app went on: the chaos run's echo ends here.
                _chaosEnded = true;
                Nodes["A"].Node.TellTraced(new ClusterProtocol.EndEcho("the chaos run's kills are done"), Coordinator);
                return;
            }

            if (_kills.Count == 0 && !_chaosArmed && _killed is null)
            {
                _chaosArmed = true;
                _chaosNextAt = _chaos.Next(50, 250);
            }

            if (!_chaosArmed || _kills.Count >= _options.Chaos || echoed < _chaosNextAt)
            {
                return;
            }

            _chaosArmed = false;
            _chaosTarget = NextChaosTarget();
            int jitterUs = _chaos.Next(0, 1500);
            string key = ClusterDemoOptions.KillKeyOf(_chaosTarget);
            var process = _processes.LastOrDefault(p => p.Key == key && !p.HasExited);
            if (process is null || !Nodes.TryGetValue(key, out var node))
            {
                Errors.Add($"chaos kill {_kills.Count + 1}: no live {_chaosTarget} process to kill");
                return;
            }

            // Strike somewhere inside a round: the coordinator heard of the echo a moment after it came back.
            long until = Stopwatch.GetTimestamp() + (jitterUs * Stopwatch.Frequency / 1_000_000);
            while (Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(50);
            }

            if (_killed is not null)
            {
                _killedBefore.Add(_killed);
            }

            _killed = process;
            _killedAddress = node.Address;
            _killedAfter = echoed;
            _unreachable = null;
            _removed = null;
            _rejoined = null;
            _killAt = Stopwatch.GetTimestamp();
            _killWallMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            process.Kill();
            _kills.Add(new ClusterKillRecord(_chaosTarget, process.Host, process.Pid, echoed, jitterUs, null, null));
            _progress.WriteLine($"edsos cluster demo: chaos kill {_kills.Count}/{_options.Chaos}: host {process.Host} {process.Role} pid {process.Pid} after {echoed} echoes (+{jitterUs} µs)");
        }

        /// <summary>The next kill's target: each of the four once in a seeded order, then any at random.</summary>
        private string NextChaosTarget()
        {
            if (_kills.Count == 0)
            {
                _chaosFirstFour = [.. s_chaosTargets];
                _chaos.Shuffle(_chaosFirstFour);
            }

            return _kills.Count < _chaosFirstFour.Length ? _chaosFirstFour[_kills.Count] : s_chaosTargets[_chaos.Next(s_chaosTargets.Length)];
        }

        /// <summary>The process of the current kill is back (a new pid, found by the others): the next kill may come.</summary>
        private void OnChaosRejoined()
        {
            _kills[^1] = _kills[^1] with { RemovedAfterS = _removed, RejoinedAfterS = _rejoined };
            _progress.WriteLine($"edsos cluster demo: chaos kill {_kills.Count}/{_options.Chaos}: removed after {_removed:0.00} s, back after {_rejoined:0.00} s");
            if (_chaosTarget == "user")
            {
                RunVictimEcho();
            }

            _chaosArmed = _kills.Count < _options.Chaos;
            _chaosNextAt = _lastEchoed + _chaos.Next(20, 200);
            if (!_chaosArmed)
            {
                _chaosEndAt = _lastEchoed + ClusterDemoOptions.ChaosEchoesAfterLast;
            }
        }

        /// <summary>
        /// A chaos run behaved as designed when every kill was made, each killed process was removed and its successor
        /// came back, the app's echo went on after the last comeback with every echo right and at most the rounds in
        /// flight at each kill lost (two per kill), and the clean-run conditions (no leak, nothing copied, every survivor
        /// reported) held.
        /// </summary>
        private bool ChaosVerdict(ClusterProtocol.EchoDone echo, List<string> errors)
        {
            if (_kills.Count < _options.Chaos)
            {
                errors.Add($"only {_kills.Count} of {_options.Chaos} chaos kills were made before the echo ended (more --sends)");
                return false;
            }

            var unfinished = _kills.FirstOrDefault(k => k.RemovedAfterS is null || k.RejoinedAfterS is null);
            if (unfinished is not null)
            {
                errors.Add($"chaos: the {unfinished.Target} process {unfinished.Pid} was {(unfinished.RemovedAfterS is null ? "never removed" : "never back")} after its kill");
                return false;
            }

            if (echo.Ok < _chaosEndAt)
            {
                errors.Add($"chaos: the app's echo stopped at {echo.Ok} verified echoes, before {_chaosEndAt} (it did not go on after the last comeback)");
                return false;
            }

            return echo.Ok >= echo.Attempted - (2 * _kills.Count) && echo.Bad == 0;
        }
    }
}
