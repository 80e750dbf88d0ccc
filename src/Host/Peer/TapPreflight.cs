using Edsos.Driver.Wires;

namespace Edsos.Host.Peer;

/// <summary>
/// What a run against the Linux peer needs before it touches anything: root (creating a TAP device and a
/// network namespace needs CAP_NET_ADMIN), <c>/dev/net/tun</c>, and iproute2's <c>ip</c>; and, since root in
/// a container may still lack the capability, a TAP device actually opened and closed again. Used by the
/// commands (one-line error, exit code 2) and by the tests (skip with the reason printed). The answer is
/// worked out once per process.
/// </summary>
public static class TapPreflight
{
    private static readonly Lazy<string?> s_answer = new(Probe);

    /// <summary>Null when everything is there; otherwise one line saying what is missing.</summary>
    public static string? Check() => s_answer.Value;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "a TAP device and network namespaces need Linux";
        }

        if (PeerNative.GetEffectiveUserId() != 0)
        {
            return "not running as root: creating a TAP device and a network namespace needs root (CAP_NET_ADMIN)";
        }

        if (!TapWire.IsAvailable)
        {
            return $"{TapWire.ClonePath} does not exist: no TUN/TAP support here (load the tun module)";
        }

        if (!IpCommand.IsAvailable)
        {
            return "iproute2's 'ip' command is not installed (apt-get install iproute2)";
        }

        using var probe = TapWire.TryOpen(string.Empty, out string? error);
        return probe is null ? error : null;
    }
}
