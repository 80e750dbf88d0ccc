namespace Edsos.Driver.Wires;

/// <summary>The fault schedule of a <see cref="LossyWire"/>: probabilities per transmitted frame, drawn from a seeded PRNG.</summary>
public sealed record LossyWireOptions
{
    /// <summary>Seed of the schedule: the same seed and the same frame sequence give the same faults.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Probability that a frame is dropped.</summary>
    public double Drop { get; init; }

    /// <summary>Probability that a frame is delivered twice.</summary>
    public double Duplicate { get; init; }

    /// <summary>Probability that a frame is held back and delivered after the next one (reordered), or after <see cref="Delay"/> if none follows.</summary>
    public double Reorder { get; init; }

    /// <summary>How long a held-back frame waits for a successor before it is delivered anyway.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>True (default): only IPv4 frames suffer faults, so ARP resolution stays deterministic.</summary>
    public bool IpOnly { get; init; } = true;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1), or the delay is negative.</exception>
    public void Validate()
    {
        foreach (var p in new[] { Drop, Duplicate, Reorder })
        {
            if (p < 0 || p >= 1 || double.IsNaN(p))
            {
                throw new ArgumentOutOfRangeException(nameof(Drop), p, "a fault probability must be in [0, 1)");
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Delay, TimeSpan.Zero);
    }
}
