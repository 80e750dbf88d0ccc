using Edsos.Driver.Wires;
using Edsos.Host;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests;

/// <summary>Two real hosts (10.0.0.1 and 10.0.0.2) on a loopback wire, for cross-service scenarios.</summary>
internal sealed class TwoHosts : IAsyncDisposable
{
    public static readonly Ipv4Address AddressA = Ipv4Address.Parse("10.0.0.1");
    public static readonly Ipv4Address AddressB = Ipv4Address.Parse("10.0.0.2");

    private TwoHosts(EdsosHost a, EdsosHost b)
    {
        A = a;
        B = b;
    }

    public EdsosHost A { get; }

    public EdsosHost B { get; }

    /// <summary>
    /// Starts hosts named <paramref name="nameA"/> and <paramref name="nameB"/> (the actor systems'
    /// names, hence their activity sources: tracing tests give unique names so that tests running in
    /// parallel never feed each other's listeners).
    /// </summary>
    public static async Task<TwoHosts> StartAsync(DataPathMode mode = DataPathMode.ZeroCopy, string nameA = "A", string nameB = "B")
    {
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var a = await EdsosHost.StartAsync(Options(nameA, "10.0.0.1/24", "02:00:00:00:00:01", mode), wireA);
        var b = await EdsosHost.StartAsync(Options(nameB, "10.0.0.2/24", "02:00:00:00:00:02", mode), wireB);
        return new TwoHosts(a, b);
    }

    /// <summary>Two hosts whose wire ends are <paramref name="endA"/> and <paramref name="endB"/> (lossy, capturing, ...).</summary>
    public static async Task<TwoHosts> StartAsync(IWire endA, IWire endB, Func<EdsosHostOptions, EdsosHostOptions>? tune = null)
    {
        tune ??= static o => o;
        var a = await EdsosHost.StartAsync(tune(Options("A", "10.0.0.1/24", "02:00:00:00:00:01", DataPathMode.ZeroCopy)), endA);
        var b = await EdsosHost.StartAsync(tune(Options("B", "10.0.0.2/24", "02:00:00:00:00:02", DataPathMode.ZeroCopy)), endB);
        return new TwoHosts(a, b);
    }

    /// <summary>Opens a UDP socket bound to <paramref name="port"/> (0: unbound); returns its fd.</summary>
    public static async Task<int> UdpSocketAsync(Libc libc, ushort port = 0)
    {
        var socket = await libc.SocketAsync(2, SocketKind.Dgram, 0);
        Assert.True(socket.IsOk, $"socket: {socket.Error}");
        if (port != 0)
        {
            var bound = await libc.BindAsync((int)socket.Value, new Ipv4Endpoint(Ipv4Address.Any, port));
            Assert.True(bound.IsOk, $"bind: {bound.Error}");
        }

        return (int)socket.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    private static EdsosHostOptions Options(string name, string cidr, string mac, DataPathMode mode) => new()
    {
        Name = name,
        Address = Ipv4Cidr.Parse(cidr),
        Mac = MacAddress.Parse(mac),
        Mode = mode,
        ArenaPages = 2048,
    };
}
