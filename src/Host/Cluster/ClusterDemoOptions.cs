using System.Globalization;
using Edsos.Host.Demo;

namespace Edsos.Host.Cluster;

/// <summary>What <c>edsos cluster demo</c> runs: hosts A and B as two node processes, the echo across them, and maybe a kill.</summary>
public sealed record ClusterDemoOptions
{
    /// <summary><c>udp</c> or <c>tcp</c>.</summary>
    public string Proto { get; init; } = "udp";

    /// <summary>Datagrams (UDP) or writes (TCP) host A sends and has echoed.</summary>
    public int Sends { get; init; } = 1000;

    /// <summary>Bytes per datagram or write.</summary>
    public int Size { get; init; } = 1024;

    /// <summary>The host whose process gets SIGKILL (<c>B</c>), or null for no kill.</summary>
    public string? KillHost { get; init; }

    /// <summary>The kill comes once host A has this many echoes back.</summary>
    public int KillAfter { get; init; }

    /// <summary>Start the killed host again; it rejoins and the echo resumes.</summary>
    public bool Restart { get; init; }

    /// <summary>
    /// How long one echo may take before it counts as lost (longer than the failure detection, so a kill shows as the peer
    /// going down). A TCP round that a kill may cut waits longer, <see cref="ClusterTcpEchoClient.StallLimit"/>: TCP
    /// retransmits what a dead driver lost.
    /// </summary>
    public TimeSpan EchoTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Host A's roles as separate processes on one arena file (<c>--layout roles</c>, the default; <c>--kill user|net|driver@N</c> needs it):
    /// a driver, a net and a user process (plus a victim user process with <c>--kill user</c>), host B one process.
    /// </summary>
    public bool Roles { get; init; }

    /// <summary>The app name of the user process <c>--kill user@N</c> kills; host A's echo client runs beside it and goes on.</summary>
    public const string VictimApp = "victim";

    /// <summary>The coordinator's key of the process <c>--kill WHO@N</c> kills: <c>B</c>, <c>A/victim</c>, <c>A/net</c> or <c>A/driver</c>.</summary>
    public static string KillKeyOf(string who) => who switch
    {
        "user" => "A/" + VictimApp,
        "net" or "driver" => "A/" + who,
        _ => who,
    };

    /// <summary>
    /// <c>--chaos K</c>: K SIGKILLs one after another at seeded random instants while the echo runs, each of a process
    /// picked at random (the victim user process, net, driver or host B), each restarted and rejoined before the next
    /// (0: none). Needs <c>--layout roles</c> and no <c>--kill</c>. The app's echo runs until the last process is back and
    /// <see cref="ChaosEchoesAfterLast"/> more echoes came (<see cref="Sends"/> is not used).
    /// </summary>
    public int Chaos { get; init; }

    /// <summary>The seed of <see cref="Chaos"/>'s picks (which process, after how many echoes, how far into the round); printed, so a run can be replayed.</summary>
    public int ChaosSeed { get; init; }

    /// <summary>Echoes a chaos run's app makes after the last killed process came back, before the coordinator ends its echo.</summary>
    public const int ChaosEchoesAfterLast = 200;

    /// <summary>A directory where every node writes its traces (<c>host-a-1.json</c>, <c>host-b-1.json</c>, a restarted B <c>host-b-2.json</c>); null: none.</summary>
    public string? TraceDirectory { get; init; }

    /// <summary>How host A's role processes send each other the services' events: <c>lanes</c>, <c>lane-threads</c> or <c>akka</c> (<see cref="NodeOptions.Transport"/>).</summary>
    public string Transport { get; init; } = "lanes";

    /// <summary>An OTLP endpoint every node exports its traces to; null: none.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>Parses <c>--kill HOST@N</c>; null and the problem in words when it is not one.</summary>
    public static (string Host, int After)? ParseKill(string value, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(value);
        problem = null;
        int at = value.IndexOf('@', StringComparison.Ordinal);
        string who = at > 0 ? value[..at] : value;
        if (at <= 0 || !int.TryParse(value[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int after) || after < 1)
        {
            problem = $"--kill must be B@N, user@N, net@N or driver@N with N at least 1 (for example B@200), not '{value}'";
            return null;
        }

        switch (who)
        {
            case "B" or "b":
                return ("B", after);
            case "A" or "a":
                problem = "--kill A@N is not supported: host A runs the echo client, so nothing would be left to report; kill B";
                return null;
            case "user" or "net" or "driver":
                return (who, after);
            default:
                problem = $"--kill names host B or one of host A's roles (user, net, driver), not '{who}'";
                return null;
        }
    }

    /// <summary>The problem in words, or null when the options can run.</summary>
    public string? Validate()
    {
        if (Proto is not ("udp" or "tcp"))
        {
            return $"--proto must be udp or tcp, not '{Proto}'";
        }

        if (Sends < 1)
        {
            return $"--sends must be at least 1, not {Sends}";
        }

        if (Proto == "udp" && (Size < 8 || Size > DemoOptions.MaxUdpPayload))
        {
            return $"--size must be between 8 and {DemoOptions.MaxUdpPayload} bytes for udp, not {Size}";
        }

        if (Proto == "tcp" && (Size < 1 || Size > DemoOptions.MaxTcpWrite))
        {
            return $"--size must be between 1 and {DemoOptions.MaxTcpWrite} bytes for tcp, not {Size}";
        }

        if (Chaos < 0 || (Chaos > 0 && (KillHost is not null || !Roles)))
        {
            return Chaos < 0 ? $"--chaos must be 0 or more, not {Chaos}" : "--chaos needs --layout roles and no --kill (it picks its own kills)";
        }

        if (KillHost is "user" or "net" or "driver" && !Roles)
        {
            return $"--kill {KillHost}@N needs host A's roles as processes (--layout roles), not --layout hosts";
        }

        if (KillHost is not null && KillAfter >= Sends)
        {
            return $"--kill {KillHost}@{KillAfter} needs --sends above {KillAfter}";
        }

        if (TraceDirectory is not null && !Directory.Exists(TraceDirectory))
        {
            return $"--trace-dir names no directory: {TraceDirectory}";
        }

        if (Restart && KillHost is null && Chaos == 0)
        {
            return "--restart needs --kill";
        }

        return null;
    }
}
