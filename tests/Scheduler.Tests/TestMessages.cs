namespace Edsos.Scheduler.Tests;

/// <summary>Messages shared by the specs; one static class so each spec reads like Akka's.</summary>
public static class TestMessages
{
    public sealed record Ping(int N);

    public sealed record Pong(int N);

    public sealed record Boom(string Why);

    public sealed record GetState;

    public sealed record State(int Value);

    public sealed record Increment;
}
