using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// Bad input from an app on a real host gets an errno and loses nothing: after each bad call no node
/// or page was added, and the same socket still sends.
/// </summary>
public sealed class BadInputSpec
{
    private static readonly Ipv4Endpoint s_peer = new(TwoHosts.AddressB, 9);

    [Fact]
    public async Task SendTo_GvaOfAnotherProcess_Efault()
    {
        await RunAsync(async (app, other, fd, buffer, otherBuffer) =>
            await app.SendToAsync(fd, otherBuffer.Gva, 100, s_peer), Errno.EFAULT);
    }

    [Fact]
    public async Task SendTo_UnmappedGva_Efault()
    {
        await RunAsync(async (app, other, fd, buffer, otherBuffer) =>
            await app.SendToAsync(fd, Gva.Make(app.Ts, 0x7fff_0000_0000), 100, s_peer), Errno.EFAULT);
    }

    [Fact]
    public async Task SendTo_LengthPastTheBuffer_Efault()
    {
        await RunAsync(async (app, other, fd, buffer, otherBuffer) =>
            await app.SendToAsync(fd, buffer.Gva.Add(1000), 201, s_peer), Errno.EFAULT);
    }

    [Fact]
    public async Task SendTo_ClosedFd_Ebadf()
    {
        await RunAsync(async (app, other, fd, buffer, otherBuffer) =>
        {
            int second = await TwoHosts.UdpSocketAsync(app);
            Assert.True((await app.CloseAsync(second)).IsOk);
            return await app.SendToAsync(second, buffer.Gva, 100, s_peer);
        }, Errno.EBADF);
    }

    [Fact]
    public async Task SendTo_NeverOpenedFd_Ebadf()
    {
        await RunAsync(async (app, other, fd, buffer, otherBuffer) =>
            await app.SendToAsync(977, buffer.Gva, 100, s_peer), Errno.EBADF);
    }

    [Fact]
    public async Task SendTo_AboveLargestDatagram_Emsgsize()
    {
        await RunAsync(async (app, other, fd, buffer, otherBuffer) =>
        {
            var big = app.Alloc(70_000);
            try
            {
                return await app.SendToAsync(fd, big.Gva, 65508, s_peer);
            }
            finally
            {
                app.Free(big);
            }
        }, Errno.EMSGSIZE);
    }

    [Fact]
    public async Task Send_UnconnectedWithoutAddress_Edestaddrreq()
    {
        await RunAsync(async (app, other, fd, buffer, otherBuffer) =>
            await app.SendAsync(fd, buffer.Gva, 100), Errno.EDESTADDRREQ);
    }

    /// <summary>
    /// Makes the bad call on a real host, checks its errno and that memory is as before, then checks
    /// the socket still delivers a good datagram to host B.
    /// </summary>
    private static async Task RunAsync(Func<Libc, Libc, int, UserBuffer, UserBuffer, Task<SysResult>> badCall, Errno expected)
    {
        await using var hosts = await TwoHosts.StartAsync();
        var sink = hosts.B.StartProcess("sink");
        int sinkFd = await TwoHosts.UdpSocketAsync(sink, 9);
        var app = hosts.A.StartProcess("app");
        var other = hosts.A.StartProcess("other");
        int fd = await TwoHosts.UdpSocketAsync(app);
        var buffer = app.Alloc(1200);
        var otherBuffer = other.Alloc(1200);
        var before = hosts.A.Memory.Counters;

        var result = await badCall(app, other, fd, buffer, otherBuffer);

        Assert.False(result.IsOk);
        Assert.Equal(-1, result.Value);
        Assert.Equal(expected, result.Error);
        var after = hosts.A.Memory.Counters;
        Assert.Equal(before.LiveNodes, after.LiveNodes);
        Assert.Equal(before.PagesInUse, after.PagesInUse);
        Assert.Equal(0, after.PayloadBytesCopied);

        var good = await app.SendToAsync(fd, buffer.Gva, 1200, s_peer);
        Assert.True(good.IsOk, $"a good send after the bad one: {good.Error}");
        var received = await sink.RecvZeroCopyAsync(sinkFd).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1200, received.Length);
        sink.Free(received.Buffer!);
    }
}
