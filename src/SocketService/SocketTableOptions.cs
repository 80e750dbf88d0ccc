using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService;

/// <summary>How a <see cref="SocketTable"/> runs: who implements the protocols, which data path, default buffer sizes, limits.</summary>
public sealed record SocketTableOptions
{
    /// <summary>SO_SNDBUF and SO_RCVBUF default of Linux (net.core.wmem_default / rmem_default).</summary>
    public const int LinuxDefaultBuffer = 212992;

    /// <summary>The inet family: answers <c>OpenEndpoint</c>, <c>BindRequest</c>, takes <c>Unbind</c>.</summary>
    public required IActorRef Family { get; init; }

    /// <summary>Zero copy (EDSOS) or copy (Linux). Default zero copy.</summary>
    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>SO_SNDBUF of a new socket, in payload bytes.</summary>
    public int DefaultSendBuffer { get; init; } = LinuxDefaultBuffer;

    /// <summary>SO_RCVBUF of a new socket, in payload bytes.</summary>
    public int DefaultReceiveBuffer { get; init; } = LinuxDefaultBuffer;

    /// <summary>Most sockets open at once; one more gets <c>ENFILE</c>. At most 65535 (ids are 16-bit, as in <c>sock_0xABCD</c>).</summary>
    public int MaxSockets { get; init; } = 1024;

    /// <summary>How long the table waits for the family's <c>EndpointOpened</c> before failing <c>socket()</c> with <c>EIO</c>.</summary>
    public TimeSpan FamilyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The table's TS; each socket's TS is <c>{TsPath}/sock_0x{ID:X4}</c>.</summary>
    public string TsPath { get; init; } = "/net/sockets";
}
