namespace Edsos.Scheduler.Faults;

/// <summary>
/// Thrown by <see cref="FaultInjector.Hit"/> inside the actor that hit an armed
/// <see cref="FaultKind.DriverCrash"/>: the actor fails and its supervisor decides (restart by default).
/// </summary>
public sealed class InjectedFaultException : Exception
{
    /// <summary>Creates the exception for a crash injected at <paramref name="point"/>.</summary>
    public InjectedFaultException(FaultPoint point)
        : base($"injected driver crash at {point.Name}")
    {
        Point = point;
    }

    /// <summary>Creates the exception with a message (for serializers and tests).</summary>
    public InjectedFaultException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public InjectedFaultException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception with no message.</summary>
    public InjectedFaultException()
    {
    }

    /// <summary>Where the crash was injected; null when made from a message alone.</summary>
    public FaultPoint? Point { get; }
}
