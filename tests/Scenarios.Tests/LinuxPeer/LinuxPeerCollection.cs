namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>
/// The Linux-peer scenarios run one at a time and apart from the rest: each moves megabytes through the
/// kernel and our stack, and on two cores parallel runs would measure the machine, not the stacks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LinuxPeerCollection
{
    public const string Name = "linux-peer";
}
