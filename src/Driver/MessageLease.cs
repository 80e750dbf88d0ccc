namespace Edsos.Driver;

/// <summary>
/// Whether a pooled message is out on loan: set when <see cref="MessagePool{T}"/>'s owner rents it, cleared
/// once by the receiver's return. A field of the message record; it takes no part in the record's equality,
/// hash or printing (every lease equals every other), so a rented message equals a fresh one with the same
/// fields. An instance made with <c>new</c> or deserialized was never rented: its <see cref="TryEnd"/> is false,
/// so it never enters a pool, and a second return of a rented one is false too (no instance is pooled twice).
/// </summary>
public struct MessageLease : IEquatable<MessageLease>
{
    private int _rented;

    /// <summary>Marks the message as rented (by the pool's owner, before it is filled and told).</summary>
    public void Begin() => Volatile.Write(ref _rented, 1);

    /// <summary>True exactly once per <see cref="Begin"/>: the caller may then put the message back in its pool.</summary>
    public bool TryEnd() => Interlocked.Exchange(ref _rented, 0) == 1;

    /// <summary>Always true: a lease is bookkeeping, not part of the message.</summary>
    public readonly bool Equals(MessageLease other) => true;

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is MessageLease;

    /// <inheritdoc />
    public override readonly int GetHashCode() => 0;

    /// <summary>Always true (see <see cref="Equals(MessageLease)"/>).</summary>
    public static bool operator ==(MessageLease left, MessageLease right) => true;

    /// <summary>Always false (see <see cref="Equals(MessageLease)"/>).</summary>
    public static bool operator !=(MessageLease left, MessageLease right) => false;
}
