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

    private long _loopStart;
    private TimeSpan _cpuStart;
    private long _allocatedStart;
    private int _echoed;
    private long _steadyStart;

    /// <summary>
    /// Verified rounds left out of the steady-state rate: the window opens when this many came back (set before
    /// <see cref="StartLoop"/>; 0 opens it at the loop's start). The runners set a fifth of the rounds asked for, so the
    /// rate leaves out the JIT's first tiers and a cluster's first connections.
    /// </summary>
    public int SteadyAfter;

    /// <summary>Verified rounds per second from the moment <see cref="SteadyAfter"/> rounds had come back to the loop's end (0 when the window never opened or held no round).</summary>
    public double SteadyPerSec;

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
        _steadyStart = SteadyAfter == 0 ? _loopStart : 0;
    }

    /// <summary>Records a verified round's round trip and counts it towards the steady-state rate.</summary>
    public void Echoed(TimeSpan roundTrip)
    {
        RttMicros.Record(roundTrip);
        _echoed++;
        if (_echoed == SteadyAfter)
        {
            _steadyStart = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Marks the end of the echo loop and keeps what it cost since <see cref="StartLoop"/>.</summary>
    public void EndLoop()
    {
        long end = System.Diagnostics.Stopwatch.GetTimestamp();
        Elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_loopStart, end);
        double steadySeconds = _steadyStart == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(_steadyStart, end).TotalSeconds;
        SteadyPerSec = steadySeconds > 0 && _echoed > SteadyAfter ? (_echoed - SteadyAfter) / steadySeconds : 0;
        LoopAllocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - _allocatedStart;
        LoopCpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
    }

    /// <summary>Keeps the first few errors for the report. Locked: the TCP runner's reader and writer report from two tasks.</summary>
    public void Keep(string error)
    {
        lock (Errors)
        {
            if (Errors.Count < MaxErrorsKept)
            {
                Errors.Add(error);
            }
        }
    }
}
