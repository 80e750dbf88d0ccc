using Edsos.Memory.Shared;

namespace Edsos.Memory.SharedChild;

/// <summary>The arena geometry the tests and their child processes agree on: small, so invariant scans are quick.</summary>
public static class ChildGeometry
{
    /// <summary>Options every process of a test opens its arena file with.</summary>
    public static SharedArenaOptions Options { get; } = new()
    {
        PageCount = 1024,
        MaxNodes = 2048,
        MaxTs = 1024,
        MaxProcesses = 16,
        MaxPins = 256,
        LockTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>The geometry of the tests that open the arena through <see cref="MemoryManager.OpenShared"/>.</summary>
    public static SharedArenaOptions ManagerOptions { get; } = MemoryManager.SharedOptions(256);
}
