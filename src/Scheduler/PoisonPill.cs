namespace Edsos.Scheduler;

/// <summary>
/// Stops the recipient once it reaches this message in its mailbox: earlier mail is handled, later mail
/// goes to dead letters. The actor's handlers never see it.
/// </summary>
public sealed class PoisonPill
{
    private PoisonPill()
    {
    }

    /// <summary>The single instance.</summary>
    public static PoisonPill Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "PoisonPill";
}
