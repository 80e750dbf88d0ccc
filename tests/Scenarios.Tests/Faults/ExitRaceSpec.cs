using Edsos.Protocol;

namespace Edsos.Scenarios.Tests.Faults;

/// <summary>
/// A syscall that races the process's exit into its KPN's mailbox (found by the soak): the KPN
/// stops before handling it, the request goes to dead letters, and the call must still return
/// (EINTR) instead of waiting forever.
/// </summary>
public sealed class ExitRaceSpec
{
    [Fact]
    public async Task SendTo_KpnStoppedUnderTheCall_EintrNotAHang()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var app = hosts.A.StartProcess("app");
        var fd = await TwoHosts.UdpSocketAsync(app);
        var buffer = app.Alloc(64);

        // The KPN stops while the process's TS is still alive: calls still go to the KPN, and to dead letters once it
        // has stopped (awaited: under load a call could otherwise reach it first and be handled).
        hosts.A.System.Stop(app.Kpn);
        Assert.True(await app.Kpn.WatchAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        var calls = Enumerable.Range(0, 20)
            .Select(_ => app.SendToAsync(fd, buffer.Gva, 64, new Ipv4Endpoint(TwoHosts.AddressB, 9)).AsTask())
            .ToArray();
        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(results, r => Assert.False(r.IsOk));
        Assert.Contains(results, r => r.Error == Errno.EINTR);
        Assert.All(results, r => Assert.True(r.Error is Errno.EINTR or Errno.EBADF, r.ToString()));
    }
}
