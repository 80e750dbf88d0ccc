using Edsos.Protocol.Tcp;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>The TCP worker's deadline set: one timer at the earliest, entries only move earlier, due ones taken in order.</summary>
public sealed class TcpDeadlinesTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Schedule_EarlierDeadline_ReplacesTheFiledOne()
    {
        var deadlines = new TcpDeadlines();
        deadlines.Schedule(1, s_t0.AddSeconds(5));
        deadlines.Schedule(1, s_t0.AddSeconds(2));
        Assert.Equal(s_t0.AddSeconds(2), deadlines.Earliest);
        Assert.Equal(1, deadlines.Count);
    }

    [Fact]
    public void Schedule_LaterDeadline_KeepsTheEarlierOne()
    {
        var deadlines = new TcpDeadlines();
        deadlines.Schedule(1, s_t0.AddSeconds(2));
        deadlines.Schedule(1, s_t0.AddSeconds(5));
        Assert.Equal(s_t0.AddSeconds(2), deadlines.Earliest);
    }

    [Fact]
    public void TakeDue_MixedDeadlines_TakesOnlyTheDueOnesEarliestFirst()
    {
        var deadlines = new TcpDeadlines();
        deadlines.Schedule(1, s_t0.AddSeconds(3));
        deadlines.Schedule(2, s_t0.AddSeconds(1));
        deadlines.Schedule(3, s_t0.AddSeconds(9));
        var due = new List<ulong>();
        deadlines.TakeDue(s_t0.AddSeconds(3), due);
        Assert.Equal(new ulong[] { 2, 1 }, due);
        Assert.Equal(s_t0.AddSeconds(9), deadlines.Earliest);
        deadlines.Remove(3);
        Assert.Null(deadlines.Earliest);
        Assert.Equal(0, deadlines.Count);
    }
}
