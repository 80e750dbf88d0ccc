namespace Edsos.Scheduler.Faults;

/// <summary>
/// A stage boundary where a <see cref="FaultInjector"/> can inject a fault. The runtime knows no
/// point by name: the layer that owns a boundary declares it (the KPN's, the socket's, the stack's,
/// the driver's <c>*FaultPoints</c> classes), says which <see cref="FaultKind"/>s can fire there,
/// and calls <see cref="FaultInjector.Hit"/> with it as a send or receive crosses it. Compared by
/// reference: one instance per boundary.
/// </summary>
public sealed class FaultPoint
{
    /// <summary>
    /// Declares a point named <paramref name="name"/> (lower-case, as <c>--fault FAULT@POINT</c>
    /// spells it) at <paramref name="stage"/> (a few words for help texts) where the kinds in
    /// <paramref name="supports"/> may be armed. Throws <see cref="ArgumentException"/> for an empty
    /// name or stage, or <see cref="FaultKind.None"/>.
    /// </summary>
    public FaultPoint(string name, string stage, FaultKind supports, bool isReceive = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(stage);
        if (supports == FaultKind.None)
        {
            throw new ArgumentException("a point supports at least one fault kind", nameof(supports));
        }

        Name = name;
        Stage = stage;
        SupportedKinds = supports;
        IsReceive = isReceive;
    }

    /// <summary>The point's name (<c>dma</c>, <c>kpn-share</c>, ...).</summary>
    public string Name { get; }

    /// <summary>Where it is, in a few words ("during the NIC's DMA").</summary>
    public string Stage { get; }

    /// <summary>The fault kinds that may be armed here.</summary>
    public FaultKind SupportedKinds { get; }

    /// <summary>True for a point on the receive path (the dual of a send-path point).</summary>
    public bool IsReceive { get; }

    /// <summary>True when <paramref name="kind"/> is exactly one kind and may be armed here.</summary>
    public bool Supports(FaultKind kind) => kind != FaultKind.None && (kind & (kind - 1)) == 0 && (SupportedKinds & kind) == kind;

    /// <summary>The name.</summary>
    public override string ToString() => Name;
}
