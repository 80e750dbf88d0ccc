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

    /// <summary>Rounds whose send was started (fewer than asked for when the run was interrupted).</summary>
    public int Attempted;

    /// <summary>True when a signal stopped the run before every round was sent.</summary>
    public bool Interrupted;

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
