namespace Edsos.Memory;

/// <summary>
/// Thrown only by <see cref="MemoryResult{T}.Unwrap"/> and <see cref="MemoryResult.ThrowIfFailed"/>,
/// never by the manager itself. Carries the failed operation's error.
/// </summary>
public sealed class MemoryAccessException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/> with an optional detail.</summary>
    public MemoryAccessException(MemoryError error, string? detail)
        : base(detail is null ? error.ToString() : $"{error}: {detail}")
    {
        Error = error;
    }

    /// <summary>The error of the failed operation.</summary>
    public MemoryError Error { get; }
}
