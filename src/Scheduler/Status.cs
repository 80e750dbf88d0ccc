namespace Edsos.Scheduler;

/// <summary>Conventional replies that report an outcome rather than a value.</summary>
public static class Status
{
    /// <summary>A successful outcome, optionally with a value.</summary>
    /// <param name="Value">The outcome value, if any.</param>
    public sealed record Success(object? Value);

    /// <summary>A failed outcome. <see cref="AskExtensions.Ask{T}"/> rethrows <paramref name="Cause"/>.</summary>
    /// <param name="Cause">The failure.</param>
    public sealed record Failure(Exception Cause);
}
