using Edsos.Host.Peer;

namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>
/// A fact that needs the Linux kernel as a real peer: root, <c>/dev/net/tun</c> and iproute2, and the Linux tools
/// it runs (<see cref="Tools"/>, looked up on PATH). Skipped, with the missing piece as the reason the runner
/// prints, where one is missing, so a skip never counts as a pass.
/// </summary>
public sealed class LinuxPeerFactAttribute : FactAttribute
{
    private string? _skip;

    /// <summary>Programs the test runs besides iproute2 (for example <c>ping</c>).</summary>
    public string[] Tools { get; set; } = [];

    /// <inheritdoc />
    public override string? Skip
    {
        get => _skip ?? (TapPreflight.Check() is { } missing ? $"no Linux peer here: {missing}"
            : MissingTool(Tools) is { } tool ? $"no Linux peer here: {tool} is not installed (Debian: apt-get install {Package(tool)})"
            : null);
        set => _skip = value;
    }

    private static string? MissingTool(string[] tools) =>
        tools.FirstOrDefault(tool => !(Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool))));

    private static string Package(string tool) => tool switch
    {
        "ping" => "iputils-ping",
        "sysctl" => "procps",
        _ => tool,
    };
}
