namespace Edsos.Scenarios.Tests.Wires;

/// <summary>Which way a frame crosses a <see cref="ScriptedLink"/>: transmitted by host A or by host B.</summary>
internal enum LinkDirection
{
    /// <summary>Transmitted at end A, delivered to B.</summary>
    AtoB,

    /// <summary>Transmitted at end B, delivered to A.</summary>
    BtoA,
}
