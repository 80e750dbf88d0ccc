using Edsos.Host.Peer;

namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>
/// A fact that needs the Linux kernel as a real peer: root, <c>/dev/net/tun</c> and iproute2. Skipped, with
/// the missing piece as the reason the runner prints, where one is missing, so a skip never counts as a pass.
/// </summary>
public sealed class LinuxPeerFactAttribute : FactAttribute
{
    public LinuxPeerFactAttribute()
    {
        if (TapPreflight.Check() is { } missing)
        {
            Skip = $"no Linux peer here: {missing}";
        }
    }
}
