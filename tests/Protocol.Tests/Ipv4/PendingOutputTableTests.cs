using Edsos.Protocol.Ipv4;

namespace Edsos.Protocol.Tests.Ipv4;

public sealed class PendingOutputTableTests
{
    private readonly PendingOutputTable<string> _table = new();

    [Fact]
    public void TryComplete_NoFrameOut_CompletesOnceWithTheBytes()
    {
        ulong id = _table.Add(40, "socket", 1000);

        Assert.True(_table.TryComplete(id, out OutputCompletion<string> done));
        Assert.Equal(new OutputCompletion<string>(40, "socket", 1000, Errno.None), done);
        Assert.Equal(1000, done.ReportedBytes);
        Assert.False(_table.TryComplete(id, out _));
    }

    [Fact]
    public void TryComplete_FramesOut_WaitsForTheLast()
    {
        ulong id = _table.Add(1, "socket", 3000);
        _table.FrameQueued(id);
        _table.FrameQueued(id);

        Assert.False(_table.TryComplete(id, out _));
        _table.FrameDone(id, Errno.None);
        Assert.False(_table.TryComplete(id, out _));
        _table.FrameDone(id, Errno.None);
        Assert.True(_table.TryComplete(id, out _));
    }

    [Fact]
    public void FrameDone_TwoErrors_FirstKeptAndNoBytesReported()
    {
        ulong id = _table.Add(1, "socket", 3000);
        _table.FrameQueued(id);
        _table.FrameQueued(id);

        _table.FrameDone(id, Errno.ENOBUFS);
        _table.FrameDone(id, Errno.EFAULT);

        Assert.True(_table.TryComplete(id, out OutputCompletion<string> done));
        Assert.Equal(Errno.ENOBUFS, done.Error);
        Assert.Equal(0, done.ReportedBytes);
    }

    [Fact]
    public void SetError_OnlyTheFirstReportsTrue()
    {
        ulong id = _table.Add(1, "socket", 10);

        Assert.True(_table.SetError(id, Errno.EFAULT));
        Assert.False(_table.SetError(id, Errno.ENOBUFS));
        Assert.False(_table.SetError(id + 1, Errno.EFAULT));
    }

    [Fact]
    public void FrameDone_UnknownId_Ignored()
    {
        Assert.False(_table.FrameDone(99, Errno.None));
    }

    [Fact]
    public void Drain_PendingDatagrams_CompletedWithTheirErrorOrTheGivenOne()
    {
        ulong a = _table.Add(1, "a", 10);
        ulong b = _table.Add(2, "b", 20);
        _table.FrameQueued(a);
        _table.FrameQueued(b);
        _table.SetError(b, Errno.EFAULT);
        var drained = new List<OutputCompletion<string>>();

        _table.Drain(Errno.ENETDOWN, drained);

        Assert.Equal(new[] { Errno.ENETDOWN, Errno.EFAULT }, drained.OrderBy(d => d.RequestId).Select(d => d.Error));
        Assert.Equal(0, _table.Count);
    }

    [Fact]
    public void Add_Ids_NeverZeroAndDistinct()
    {
        ulong first = _table.Add(1, "a", 0);
        ulong second = _table.Add(1, "a", 0);

        Assert.NotEqual(0UL, first);
        Assert.NotEqual(first, second);
    }
}
