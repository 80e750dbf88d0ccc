namespace Edsos.Scenarios.Tests.Wires;

/// <summary>What a <see cref="ScriptedLink"/> did with a TCP segment when it was transmitted.</summary>
internal enum WireFate
{
    /// <summary>Delivered at once.</summary>
    Passed,

    /// <summary>Dropped by a rule: never delivered.</summary>
    Dropped,

    /// <summary>Held by a rule: delivered (in order) when the rule is released.</summary>
    Held,
}
