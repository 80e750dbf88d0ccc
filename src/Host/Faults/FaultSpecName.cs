using Edsos.Scheduler.Faults;

namespace Edsos.Host.Faults;

/// <summary>A supported fault at a point, named <c>FAULT@POINT</c> (for example <c>ts-exit@dma</c>).</summary>
/// <param name="Kind">The fault.</param>
/// <param name="Point">The injection point.</param>
public readonly record struct FaultSpecName(FaultKind Kind, FaultPoint Point)
{
    /// <summary>What <c>--fault help</c> says about it.</summary>
    public string Description => FaultCatalog.Describe(Kind, Point);

    /// <summary><c>FAULT@POINT</c>.</summary>
    public override string ToString() => $"{FaultCatalog.KindName(Kind)}@{Point.Name}";
}
