using Edsos.Host.Bench;

namespace Edsos.Host.Tests;

public sealed class RuntimeBenchTests
{
    [Fact]
    public async Task RunAsync_SmallRun_DeliversEveryMessageAndLeavesMemoryClean()
    {
        var result = await RuntimeBench.RunAsync(messages: 2000, cycles: 200);

        Assert.Equal(2000, result.Messages);
        Assert.True(result.MessagesPerSecond > 0);
        Assert.Equal(result.MessagesPerSecond * RuntimeBench.ChainLength, result.HopsPerSecond, 3);
        Assert.True(result.MemoryClean);
        Assert.Equal(result.NanosecondsPerCycle / 4, result.NanosecondsPerOperation, 3);
    }
}
