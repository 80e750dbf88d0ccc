namespace Edsos.Host.Demo;

/// <summary>
/// What a demo client measured, whatever the transport: the time each send call took, each round
/// trip, the first few errors and how long the echo loop ran. The UDP and TCP runners each derive
/// their own tally that knows which rounds came back right.
/// </summary>
internal class EchoTally(int sends)
{
    private const int MaxErrorsKept = 5;

    public readonly List<double> SendMicros = new(sends);
    public readonly List<double> RttMicros = new(sends);
    public readonly List<string> Errors = [];
    public TimeSpan Elapsed;

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
