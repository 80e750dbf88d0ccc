namespace Edsos.Memory;

/// <summary>
/// Outcome of an operation that returns a value. On failure <see cref="Value"/> is
/// <c>default</c> and must not be used; the manager never hands out memory on a failed check.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="Value">The value on success; default on failure.</param>
/// <param name="Error">The error; <see cref="MemoryError.None"/> on success.</param>
/// <param name="Detail">Why it failed; null on success.</param>
public readonly record struct MemoryResult<T>(T Value, MemoryError Error, string? Detail)
{
    /// <summary>True when <see cref="Error"/> is <see cref="MemoryError.None"/>.</summary>
    public bool IsOk => Error == MemoryError.None;

    /// <summary>A success carrying <paramref name="value"/>.</summary>
    public static MemoryResult<T> Ok(T value) => new(value, MemoryError.None, null);

    /// <summary>A failure with the given error and detail; <see cref="Value"/> is default.</summary>
    public static MemoryResult<T> Fail(MemoryError error, string? detail) => new(default!, error, detail);

    /// <summary>This result without its value.</summary>
    public MemoryResult AsResult() => new(Error, Detail);

    /// <summary>
    /// Returns <see cref="Value"/> on success; throws <see cref="MemoryAccessException"/> carrying
    /// the error otherwise. For tests and callers that treat failure as a bug.
    /// </summary>
    public T Unwrap() => IsOk ? Value : throw new MemoryAccessException(Error, Detail);

    /// <summary>Formats as <c>Ok(value)</c> or <c>Error: detail</c>.</summary>
    public override string ToString() => IsOk ? $"Ok({Value})" : $"{Error}: {Detail}";

    /// <summary>Carries a failure from an operation without a value into one with a value.</summary>
    public static implicit operator MemoryResult<T>(MemoryResult failure) => new(default!, failure.Error, failure.Detail);
}
