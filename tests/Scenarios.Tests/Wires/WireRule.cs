namespace Edsos.Scenarios.Tests.Wires;

/// <summary>
/// One rule of a <see cref="ScriptedLink"/>: the TCP segments of one direction that <see cref="Match"/> accepts
/// are counted, and those from the (<see cref="Skip"/> + 1)-th to the (<see cref="Skip"/> + <see cref="Times"/>)-th
/// are dropped or held. Made by <see cref="ScriptedLink.Drop"/> and <see cref="ScriptedLink.Hold"/>; its counters
/// are read under the link's lock.
/// </summary>
internal sealed class WireRule
{
    internal WireRule(string name, LinkDirection direction, Func<WireSegment, bool> match, WireFate action, int skip, int times)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        Name = name;
        Direction = direction;
        Match = match;
        Action = action;
        Skip = skip;
        Times = times;
    }

    public string Name { get; }

    public LinkDirection Direction { get; }

    public Func<WireSegment, bool> Match { get; }

    /// <summary><see cref="WireFate.Dropped"/> or <see cref="WireFate.Held"/>.</summary>
    public WireFate Action { get; }

    public int Skip { get; }

    public int Times { get; }

    /// <summary>False once removed or released: the rule no longer looks at segments.</summary>
    internal bool Active { get; set; } = true;

    /// <summary>Segments the predicate accepted while the rule was active.</summary>
    internal int Matched { get; set; }

    /// <summary>Segments the rule dropped or held.</summary>
    internal int Applied { get; set; }

    /// <summary>Frames held, in transmit order, until <see cref="ScriptedLink.Release"/>.</summary>
    internal List<byte[]> HeldFrames { get; } = new();

    public override string ToString() => $"{Name} ({Action} {Direction}, matched {Matched}, applied {Applied})";
}
