using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;

namespace Edsos.Scenarios.Tests.Faults;

/// <summary>
/// Seed 000 section 4.2 through the public API only (<see cref="Libc"/>): a user cannot share
/// kernel memory, cannot see another user's packet, and a guessed, replayed or widened capability
/// or a length past its node gets a clear error: no byte is exposed and the stack carries on.
/// (Another process's GVA, unmapped GVAs and lengths past a buffer on send are in <c>BadInputSpec</c>.)
/// </summary>
public sealed class SecuritySpec
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private static readonly Ipv4Endpoint s_sink = new(TwoHosts.AddressB, 9);

    [Fact]
    public async Task SendTo_GvaInTheKpnOrDriverTs_EfaultAndNothingShared()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var app = hosts.A.StartProcess("app");
        var fd = await TwoHosts.UdpSocketAsync(app);
        var kpnTs = hosts.A.Memory.FindTs(UserProcess.KpnTsPath("app")).Unwrap();
        var before = hosts.A.Memory.Counters;

        // Every page-aligned GVA of the first pages of the app's own KPN and of the NIC driver
        // (where its rings and RX buffers live) is refused at the KPN's TLB check.
        foreach (var ts in new[] { kpnTs, hosts.A.Nic.DriverTs })
        {
            for (ulong offset = 0; offset < 64 * 4096; offset += 4096)
            {
                var sent = await app.SendToAsync(fd, Gva.Make(ts, offset), 64, s_sink);
                Assert.Equal(Errno.EFAULT, sent.Error);
            }
        }

        Assert.Equal(before.LiveNodes, hosts.A.Memory.Counters.LiveNodes);
        Assert.Equal(before.LiveCtrns, hosts.A.Memory.Counters.LiveCtrns);
    }

    [Fact]
    public async Task ReadBuffer_AnotherUsersReceivedPacket_RefusedNothingExposed()
    {
        // Arrange: app1 on B receives a datagram zero-copy; app2 on B knows its capability and GVA.
        await using var hosts = await TwoHosts.StartAsync();
        var app1 = hosts.B.StartProcess("app1");
        var app2 = hosts.B.StartProcess("app2");
        var fd1 = await TwoHosts.UdpSocketAsync(app1, 9);
        var fd2 = await TwoHosts.UdpSocketAsync(app2, 10);
        var sender = hosts.A.StartProcess("sender");
        var senderFd = await TwoHosts.UdpSocketAsync(sender);
        var secret = sender.Alloc(300);
        sender.WriteBuffer(secret, 0, Enumerable.Repeat((byte)0x5A, 300).ToArray());
        var pending = app1.RecvZeroCopyAsync(fd1).AsTask();
        Assert.True((await sender.SendToAsync(senderFd, secret.Gva, 300, s_sink)).IsOk);
        var received = await pending.WaitAsync(s_wait);
        Assert.True(received.IsOk, $"recv: {received.Error}");
        var stolen = received.Buffer!;

        // Act + assert: app2 can neither read it, write it, send it, nor receive through a descriptor it never opened.
        var bytes = new byte[300];
        Assert.NotEqual(Errno.None, app2.ReadBuffer(stolen, 0, bytes));
        Assert.All(bytes, b => Assert.Equal(0, b));
        Assert.NotEqual(Errno.None, app2.WriteBuffer(stolen, 0, new byte[1]));
        Assert.Equal(Errno.EFAULT, (await app2.SendToAsync(fd2, stolen.Gva, 300, new Ipv4Endpoint(TwoHosts.AddressA, 9))).Error);
        Assert.NotEqual(Errno.None, app2.Free(stolen));
        Assert.Equal(Errno.EBADF, (await app2.RecvFromAsync(fd1 + 100, app2.Alloc(16).Gva, 16, MsgFlags.DontWait)).Error);

        // The owner still reads its packet, intact.
        Assert.Equal(Errno.None, app1.ReadBuffer(stolen, 0, bytes));
        Assert.All(bytes, b => Assert.Equal(0x5A, b));
        Assert.Equal(Errno.None, app1.Free(stolen));
    }

    [Fact]
    public async Task Buffer_GuessedTag_RefusedNothingExposed()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var app = hosts.A.StartProcess("app");
        var buffer = app.Alloc(128);
        app.WriteBuffer(buffer, 0, Enumerable.Repeat((byte)7, 128).ToArray());
        var random = new Random(66);

        for (var i = 0; i < 1000; i++)
        {
            var guessed = buffer with { Cap = buffer.Cap with { Tag = (ulong)random.NextInt64() } };
            var bytes = new byte[128];
            Assert.NotEqual(Errno.None, app.ReadBuffer(guessed, 0, bytes));
            Assert.All(bytes, b => Assert.Equal(0, b));
            Assert.NotEqual(Errno.None, app.WriteBuffer(guessed, 0, new byte[1]));
        }

        // The genuine capability still works and its bytes are unchanged.
        var check = new byte[128];
        Assert.Equal(Errno.None, app.ReadBuffer(buffer, 0, check));
        Assert.All(check, b => Assert.Equal(7, b));
    }

    [Fact]
    public async Task Buffer_ReplayedAfterFreeOrExit_Refused()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var app = hosts.A.StartProcess("app");
        var fd = await TwoHosts.UdpSocketAsync(app);
        var freed = app.Alloc(128);
        var kept = app.Alloc(128);
        var other = hosts.A.StartProcess("other");
        var otherFd = await TwoHosts.UdpSocketAsync(other);

        // After pop (free): the capability and the GVA are dead.
        Assert.Equal(Errno.None, app.Free(freed));
        Assert.NotEqual(Errno.None, app.ReadBuffer(freed, 0, new byte[1]));
        Assert.NotEqual(Errno.None, app.WriteBuffer(freed, 0, new byte[1]));
        Assert.NotEqual(Errno.None, app.Free(freed));
        Assert.Equal(Errno.EFAULT, (await app.SendToAsync(fd, freed.Gva, 128, s_sink)).Error);

        // After lift (the process exited): nothing of it is reachable, by it or by anyone else.
        await app.ExitAsync();
        Assert.NotEqual(Errno.None, app.ReadBuffer(kept, 0, new byte[1]));
        Assert.Equal(Errno.EBADF, (await app.SendToAsync(fd, kept.Gva, 128, s_sink)).Error);
        Assert.NotEqual(Errno.None, other.ReadBuffer(kept, 0, new byte[1]));
        Assert.Equal(Errno.EFAULT, (await other.SendToAsync(otherFd, kept.Gva, 128, s_sink)).Error);
        Assert.True(hosts.A.Memory.GetLeakReport(app.Ts).IsClean);
    }

    [Fact]
    public async Task Buffer_WidenedRightsOnAReadOnlyMapping_Refused()
    {
        // Arrange: a zero-copy received buffer is mapped read-only into the app.
        await using var hosts = await TwoHosts.StartAsync();
        var app = hosts.B.StartProcess("app");
        var fd = await TwoHosts.UdpSocketAsync(app, 9);
        var sender = hosts.A.StartProcess("sender");
        var senderFd = await TwoHosts.UdpSocketAsync(sender);
        var data = sender.Alloc(64);
        sender.WriteBuffer(data, 0, Enumerable.Repeat((byte)3, 64).ToArray());
        var pending = app.RecvZeroCopyAsync(fd).AsTask();
        Assert.True((await sender.SendToAsync(senderFd, data.Gva, 64, s_sink)).IsOk);
        var received = (await pending.WaitAsync(s_wait)).Buffer!;

        // Act: the app widens the rights it was given.
        var widened = received with { Cap = received.Cap with { Rights = Rights.All } };

        // Assert: the widened capability is refused outright, the genuine one still cannot write.
        Assert.NotEqual(Errno.None, app.WriteBuffer(widened, 0, new byte[] { 9 }));
        Assert.NotEqual(Errno.None, app.ReadBuffer(widened, 0, new byte[1]));
        Assert.NotEqual(Errno.None, app.WriteBuffer(received, 0, new byte[] { 9 }));
        var bytes = new byte[64];
        Assert.Equal(Errno.None, app.ReadBuffer(received, 0, bytes));
        Assert.All(bytes, b => Assert.Equal(3, b));
        Assert.Equal(Errno.None, app.Free(received));
    }

    [Fact]
    public async Task Buffer_LengthPastTheNode_RefusedNothingExposed()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var app = hosts.A.StartProcess("app");
        var fd = await TwoHosts.UdpSocketAsync(app);
        var first = app.Alloc(100);
        var second = app.Alloc(100);
        app.WriteBuffer(second, 0, Enumerable.Repeat((byte)0xEE, 100).ToArray());

        // Reads and writes that run past the node fail whole: nothing of the neighbour is read or written.
        var bytes = new byte[200];
        Assert.NotEqual(Errno.None, app.ReadBuffer(first, 0, bytes));
        Assert.All(bytes, b => Assert.Equal(0, b));
        Assert.NotEqual(Errno.None, app.ReadBuffer(first, 90, new byte[11]));
        Assert.NotEqual(Errno.None, app.WriteBuffer(first, 50, new byte[51]));
        Assert.NotEqual(Errno.None, app.ReadBuffer(first, -1, new byte[1]));
        Assert.Equal(Errno.EFAULT, (await app.SendToAsync(fd, first.Gva, 101, s_sink)).Error);
        var check = new byte[100];
        Assert.Equal(Errno.None, app.ReadBuffer(second, 0, check));
        Assert.All(check, b => Assert.Equal(0xEE, b));
    }
}
