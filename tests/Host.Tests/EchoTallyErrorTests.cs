using Edsos.Host.Demo;

namespace Edsos.Host.Tests;

/// <summary>The echo tally's error report: the first few verbatim, then every error counted by kind.</summary>
public sealed class EchoTallyErrorTests
{
    [Fact]
    public void ErrorsForReport_FewErrors_VerbatimAndNoSummary()
    {
        var tally = new EchoTally();
        tally.Keep("echo #3: no echo within 5 s");
        tally.Keep("sendto #4: ENOBUFS");

        Assert.Equal(["echo #3: no echo within 5 s", "sendto #4: ENOBUFS"], tally.ErrorsForReport());
    }

    [Fact]
    public void ErrorsForReport_ManyErrors_FirstFiveThenCountByKindWithFirstAndLast()
    {
        var tally = new EchoTally();
        tally.StartLoop();
        for (int i = 1; i <= 9; i++)
        {
            tally.Keep($"echo #{i}: no echo within 0.5 s");
        }

        tally.Keep("echo #10: recv failed (EBADF)");
        tally.Keep("echo #11: recv failed (EBADF)");

        var lines = tally.ErrorsForReport();

        Assert.Equal(6, lines.Count);
        Assert.Equal("echo #1: no echo within 0.5 s", lines[0]);
        Assert.Equal("echo #5: no echo within 0.5 s", lines[4]);
        string summary = lines[5];
        Assert.StartsWith($"{EchoTally.ErrorsInAll} 11, by kind: 9x 'echo #: no echo within # s'", summary, StringComparison.Ordinal);
        Assert.Contains("last at", summary, StringComparison.Ordinal);
        Assert.Contains("echo #9: no echo within 0.5 s", summary, StringComparison.Ordinal);
        Assert.Contains("2x 'echo #: recv failed (EBADF)'", summary, StringComparison.Ordinal);
        Assert.Contains("echo #11: recv failed (EBADF)", summary, StringComparison.Ordinal);
    }
}
