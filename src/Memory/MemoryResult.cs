namespace Edsos.Memory;

/// <summary>
/// Outcome of an operation that returns nothing: an error code and a human-readable detail.
/// The memory manager reports every access failure this way and never throws for one.
/// </summary>
/// <param name="Error">The error; <see cref="MemoryError.None"/> on success.</param>
/// <param name="Detail">Why it failed, for logs and traces; null on success.</param>
public readonly record struct MemoryResult(MemoryError Error, string? Detail)
{
    /// <summary>The success value.</summary>
    public static MemoryResult Ok => default;

    /// <summary>True when <see cref="Error"/> is <see cref="MemoryError.None"/>.</summary>
    public bool IsOk => Error == MemoryError.None;

    /// <summary>A failure with the given error and detail.</summary>
    public static MemoryResult Fail(MemoryError error, string? detail) => new(error, detail);

    /// <summary>Throws <see cref="MemoryAccessException"/> unless this is a success. For tests and callers that treat failure as a bug.</summary>
    public void ThrowIfFailed()
    {
        if (!IsOk)
        {
            throw new MemoryAccessException(Error, Detail);
        }
    }

    /// <summary>Formats as <c>Ok</c> or <c>Error: detail</c>.</summary>
    public override string ToString() => IsOk ? "Ok" : $"{Error}: {Detail}";
}
