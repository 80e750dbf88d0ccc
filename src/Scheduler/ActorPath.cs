namespace Edsos.Scheduler;

/// <summary>
/// The name of an actor in its system's hierarchy, rendered as <c>edsrt://system/user/parent/child</c>.
/// Two paths are equal when their rendered strings are equal; a path does not tell incarnations apart
/// (an actor stopped and re-created under the same name has an equal path but an unequal reference).
/// </summary>
public sealed class ActorPath : IEquatable<ActorPath>
{
    private readonly string _value;

    private ActorPath(string systemName, ActorPath? parent, string name, string value)
    {
        SystemName = systemName;
        Parent = parent;
        Name = name;
        _value = value;
    }

    /// <summary>The name of the actor system that owns the path.</summary>
    public string SystemName { get; }

    /// <summary>The parent path, or <c>null</c> for the root.</summary>
    public ActorPath? Parent { get; }

    /// <summary>The last element of the path; empty for the root.</summary>
    public string Name { get; }

    /// <summary>The path without the <c>edsrt://system</c> address, for example <c>/user/a/b</c>.</summary>
    public string Elements => _value.Substring(8 + SystemName.Length) is { Length: > 0 } rest ? rest : "/";

    /// <summary>Creates the root path of a system.</summary>
    /// <exception cref="ArgumentException">The system name is empty.</exception>
    public static ActorPath Root(string systemName)
    {
        ArgumentException.ThrowIfNullOrEmpty(systemName);
        return new ActorPath(systemName, null, string.Empty, "edsrt://" + systemName);
    }

    /// <summary>Returns the path of a child named <paramref name="name"/> under this path.</summary>
    public ActorPath Child(string name) => new(SystemName, this, name, _value + "/" + name);

    /// <inheritdoc />
    public bool Equals(ActorPath? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ActorPath p && Equals(p);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);

    /// <summary>The full path, for example <c>edsrt://sys/user/a</c>.</summary>
    public override string ToString() => _value;
}
