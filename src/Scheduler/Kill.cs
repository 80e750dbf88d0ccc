namespace Edsos.Scheduler;

/// <summary>
/// Makes the recipient fail with an <see cref="ActorKilledException"/> when it reaches this message, so its
/// supervisor decides (the default strategy stops it).
/// </summary>
public sealed class Kill
{
    private Kill()
    {
    }

    /// <summary>The single instance.</summary>
    public static Kill Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "Kill";
}
