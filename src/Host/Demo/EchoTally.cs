namespace Edsos.Host.Demo;

/// <summary>
/// What a demo client measured, whatever the transport: the time each send call took, each round
/// trip (as histograms, so a run of any length takes the same memory), the first few errors, how
/// many rounds were started and how long the echo loop ran. The UDP and TCP runners each derive
/// their own tally that knows which rounds came back right.
/// </summary>
internal class EchoTally
{
    private const int MaxErrorsKept = 5;

    public readonly LatencyHistogram SendMicros = new();
    public readonly LatencyHistogram RttMicros = new();
    public readonly List<string> Errors = [];
    public TimeSpan Elapsed;

    /// <summary>Process CPU time spent while the echo loop ran (every thread: both hosts' actors, the app).</summary>
    public TimeSpan LoopCpu;

    /// <summary>Bytes the process allocated while the echo loop ran.</summary>
    public long LoopAllocatedBytes;

    /// <summary>Windows the loop is cut into for the steady-state rule (one timestamp each, kept in one array).</summary>
    private const int Windows = 50;

    /// <summary>A window counts as warm once its rate reaches this share of the final third's rate.</summary>
    private const double WarmShare = 0.9;

    private long _loopStart;
    private TimeSpan _cpuStart;
    private long _allocatedStart;
    private int _echoed;
    private int _windowRounds;
    private readonly long[] _marks = new long[Windows + 1];
    private int _markCount;

    /// <summary>
    /// The least number of verified rounds left out of the steady-state rate (set before <see cref="StartLoop"/>).
    /// The runners set a fifth of the rounds asked for; the warm-up then lasts until the rate has settled (see
    /// <see cref="SteadyPerSec"/>), so the rate leaves out the JIT's tiers and a cluster's first connections however
    /// long they take. 0 (or a run without a known length) counts from the loop's start.
    /// </summary>
    public int SteadyAfter;

    /// <summary>
    /// Verified rounds per second once the rate has settled, to the loop's end: the loop is cut into
    /// <see cref="Windows"/> windows of equal rounds; the reference is the rate over the final third of them, and the
    /// warm-up ends with the first window after <see cref="SteadyAfter"/> rounds whose rate reaches 90 % of it
    /// (<see cref="SteadyFromRound"/>). A JIT still tiering up, or a cluster still connecting, makes the early windows
    /// slower; a window that happens to be fast early only lowers the figure. 0 when the run was too short.
    /// </summary>
    public double SteadyPerSec;

    /// <summary>The verified rounds the steady-state rate left out as warm-up (see <see cref="SteadyPerSec"/>).</summary>
    public int SteadyFromRound;

    /// <summary>Rounds whose send was started (fewer than asked for when the run was interrupted).</summary>
    public int Attempted;

    /// <summary>True when a signal stopped the run before every round was sent.</summary>
    public bool Interrupted;

    /// <summary>Marks the start of the echo loop: wall clock, process CPU time and allocated bytes.</summary>
    public void StartLoop()
    {
        _cpuStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        _allocatedStart = GC.GetTotalAllocatedBytes(precise: false);
        _loopStart = System.Diagnostics.Stopwatch.GetTimestamp();
        _marks[0] = _loopStart;
        _markCount = 1;
        _windowRounds = Planned is > 0 and < int.MaxValue / 2 ? Math.Max(1, Planned / Windows) : 0;
    }

    /// <summary>Rounds the loop means to run (set before <see cref="StartLoop"/>); 0 or unbounded: no windows, the steady rate counts from <see cref="SteadyAfter"/>.</summary>
    public int Planned;

    /// <summary>Records a verified round's round trip and counts it towards the steady-state rate.</summary>
    public void Echoed(TimeSpan roundTrip)
    {
        RttMicros.Record(roundTrip);
        _echoed++;
        if (_windowRounds > 0 && _echoed % _windowRounds == 0 && _markCount < _marks.Length)
        {
            _marks[_markCount++] = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Marks the end of the echo loop and keeps what it cost since <see cref="StartLoop"/>.</summary>
    public void EndLoop()
    {
        long end = System.Diagnostics.Stopwatch.GetTimestamp();
        Elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_loopStart, end);
        (SteadyPerSec, SteadyFromRound) = Settle(end);
        LoopAllocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - _allocatedStart;
        LoopCpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
    }

    private (double PerSec, int From) Settle(long end)
    {
        int windows = _markCount - 1;
        if (_windowRounds == 0 || windows < 3)
        {
            // No windows (an unbounded loop) or too few rounds came back: no steady state to speak of.
            return (0, 0);
        }

        int lastThird = windows - (windows / 3);
        double reference = _windowRounds * (windows - lastThird) / Seconds(lastThird, windows);
        int first = Math.Min((SteadyAfter + _windowRounds - 1) / _windowRounds, lastThird);
        int from = first;
        while (from < lastThird && _windowRounds / Seconds(from, from + 1) < WarmShare * reference)
        {
            from++;
        }

        int rounds = _echoed - (from * _windowRounds);
        double steadySeconds = System.Diagnostics.Stopwatch.GetElapsedTime(_marks[from], end).TotalSeconds;
        return (steadySeconds > 0 && rounds > 0 ? rounds / steadySeconds : 0, from * _windowRounds);
    }

    private double Seconds(int fromMark, int toMark) =>
        Math.Max(1e-9, System.Diagnostics.Stopwatch.GetElapsedTime(_marks[fromMark], _marks[toMark]).TotalSeconds);

    /// <summary>
    /// Keeps the first few errors for the report verbatim and counts every error by kind (its text with the numbers
    /// left out), with the first and last of each kind and when they came, so a run that lost many rounds says how.
    /// Locked: the TCP runner's reader and writer report from two tasks.
    /// </summary>
    public void Keep(string error)
    {
        lock (Errors)
        {
            _errorCount++;
            if (Errors.Count < MaxErrorsKept)
            {
                Errors.Add(error);
            }

            string kind = KindOf(error);
            double at = _loopStart == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(_loopStart).TotalSeconds;
            _kinds[kind] = _kinds.TryGetValue(kind, out var seen)
                ? seen with { Count = seen.Count + 1, Last = error, LastAt = at }
                : new ErrorKind(1, error, at, error, at);
        }
    }

    /// <summary>
    /// The errors for a report: the first few kept verbatim, then, when there were more, one line counting all of
    /// them by kind ("errors in all: ..."), each kind with its first and last instance and the loop time of each.
    /// </summary>
    public List<string> ErrorsForReport()
    {
        lock (Errors)
        {
            var lines = new List<string>(Errors);
            if (_errorCount > Errors.Count)
            {
                var byKind = new System.Text.StringBuilder();
                foreach (var (kind, seen) in _kinds.OrderByDescending(k => k.Value.Count))
                {
                    byKind.Append(byKind.Length == 0 ? string.Empty : "; ")
                        .Append($"{seen.Count}x '{kind}' (first at {seen.FirstAt:0.00} s: {seen.First}; last at {seen.LastAt:0.00} s: {seen.Last})");
                }

                lines.Add($"{ErrorsInAll} {_errorCount}, by kind: {byKind}");
            }

            return lines;
        }
    }

    /// <summary>How the line counting every error by kind starts (a report treats it as a note, not an error of its own).</summary>
    public const string ErrorsInAll = "errors in all:";

    private static string KindOf(string error)
    {
        var kind = new System.Text.StringBuilder(error.Length);
        foreach (char c in error)
        {
            if (char.IsAsciiDigit(c) || c == '.')
            {
                if (kind.Length == 0 || kind[^1] != '#')
                {
                    kind.Append('#');
                }
            }
            else
            {
                kind.Append(c);
            }
        }

        return kind.ToString();
    }

    private int _errorCount;
    private readonly Dictionary<string, ErrorKind> _kinds = [];

    private readonly record struct ErrorKind(int Count, string First, double FirstAt, string Last, double LastAt);
}
