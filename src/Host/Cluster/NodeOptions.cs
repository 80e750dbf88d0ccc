using System.Globalization;
using System.Net;

namespace Edsos.Host.Cluster;

/// <summary>What <c>edsos node</c> runs: one EDSOS host (<see cref="Role"/> <c>all</c>) as an Akka.Cluster member.</summary>
public sealed record NodeOptions
{
    /// <summary>The roles a node may name: <c>all</c> (the whole host in this process), or one of <c>user</c>, <c>net</c>, <c>driver</c> on a shared arena.</summary>
    public static readonly IReadOnlyList<string> Roles = ["all", "user", "net", "driver"];

    /// <summary><c>A</c> (10.0.0.1, the echo client) or <c>B</c> (10.0.0.2, the echo apps on port 7).</summary>
    public required string Host { get; init; }

    /// <summary>The host's roles in this process: <c>all</c>, <c>user</c>, <c>net</c> or <c>driver</c>.</summary>
    public string Role { get; init; } = "all";

    /// <summary>
    /// The host's arena file, shared by its role processes (<see cref="Memory.MemoryManager.OpenShared"/>; the first
    /// opener creates it). Required for <c>user</c>, <c>net</c> and <c>driver</c>; <c>all</c> keeps a private arena.
    /// </summary>
    public string? Arena { get; init; }

    /// <summary>The user role's app: its process name (<c>/user_proc/NAME</c>); a second user process of a host needs another.</summary>
    public string App { get; init; } = "app";

    /// <summary>The Akka.Remote port on 127.0.0.1; 0 picks a free one (printed in the ready line).</summary>
    public int Port { get; init; }

    /// <summary>The seed member to join (<c>HOST:PORT</c>); null: this node starts a cluster of its own.</summary>
    public string? Seed { get; init; }

    /// <summary>
    /// Role processes: how the services' events go to the host's other role processes. <c>lanes</c>: by lane
    /// (<see cref="Lanes.LaneRoute"/>), read by the default dispatcher's thread; <c>lane-threads</c>: by lane, read by a
    /// reader thread per connection; <c>akka</c>: over Akka.Remote only. Default: <c>lanes</c>.
    /// </summary>
    public string Transport { get; init; } = "lanes";

    /// <summary>The NIC's wire: <c>null</c> (frames go nowhere) or <c>udp:LOCAL:PEER</c> (<see cref="Driver.Wires.UdpWire"/>).</summary>
    public string Wire { get; init; } = "null";

    /// <summary>Where the node's traces go (OTLP endpoint, Jaeger JSON file); its service is <c>edsos-host-a</c> or <c>-b</c>.</summary>
    public Telemetry.TelemetryOptions Telemetry { get; init; } = new();

    /// <summary>
    /// What the process's traces name as their service (<c>edsos-host-</c> and this, lower case): the host for a whole
    /// host (<c>A</c>), else the host and role (<c>A-net</c>, <c>A-driver</c>, <c>A-user</c>; another app <c>A-user-NAME</c>).
    /// </summary>
    public string ServiceHost => Role switch
    {
        "all" => Host,
        "user" when App != "app" => $"{Host}-user-{App}",
        _ => $"{Host}-{Role}",
    };

    /// <summary>The message refusing <see cref="Role"/> when it cannot run yet, else null.</summary>
    public string? RefuseRole() => Role switch
    {
        "all" => Arena is null ? null : "--arena is for --role user, net or driver (--role all keeps a private arena)",
        "user" or "net" or "driver" when Arena is null => $"--role {Role} needs --arena FILE, the host's arena file every role process of it maps",
        "user" or "net" when Wire != "null" => $"--wire is the NIC's: give it to the driver process, not to --role {Role}",
        "user" or "net" or "driver" => null,
        _ => $"--role must be all, user, net or driver, not '{Role}'",
    };

    /// <summary>The ports of a <c>udp:LOCAL:PEER</c> wire, or null for <c>null</c>; throws <see cref="FormatException"/> otherwise.</summary>
    public static (int Local, int Peer)? ParseWire(string wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        if (wire == "null")
        {
            return null;
        }

        string[] parts = wire.Split(':');
        if (parts.Length == 3 && parts[0] == "udp"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int local) && local <= IPEndPoint.MaxPort
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int peer) && peer is > 0 and <= IPEndPoint.MaxPort)
        {
            return (local, peer);
        }

        throw new FormatException($"--wire must be null or udp:LOCALPORT:PEERPORT, not '{wire}'");
    }

    /// <summary>Null when <paramref name="seed"/> is <c>HOST:PORT</c> with a port, else the problem in words.</summary>
    public static string? CheckSeed(string? seed)
    {
        if (seed is null)
        {
            return null;
        }

        int colon = seed.LastIndexOf(':');
        return colon > 0 && int.TryParse(seed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= IPEndPoint.MaxPort
            ? null
            : $"--seed must be HOST:PORT, not '{seed}'";
    }
}
