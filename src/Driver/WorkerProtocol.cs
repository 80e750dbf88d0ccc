namespace Edsos.Driver;

/// <summary>Control messages between <see cref="NicDriver"/> and the driver workers (in-process only).</summary>
internal static class WorkerProtocol
{
    /// <summary>Builder → worker: reply <see cref="Ready"/> to the sender once the worker's ring is programmed into the device.</summary>
    public sealed record AwaitReady;

    /// <summary>Reply to <see cref="AwaitReady"/>.</summary>
    public sealed record Ready
    {
        public static readonly Ready Instance = new();
    }

    /// <summary>
    /// Builder → worker, after the device was reset: release everything (pending frames are
    /// completed as aborted, buffers unpinned and popped, ring popped), refuse later work, reply
    /// <see cref="Stopped"/>.
    /// </summary>
    public sealed record Stop;

    /// <summary>Reply to <see cref="Stop"/>.</summary>
    public sealed record Stopped
    {
        public static readonly Stopped Instance = new();
    }

    /// <summary>RX worker → itself: continue a NAPI poll whose budget ran out.</summary>
    public sealed record Poll
    {
        public static readonly Poll Instance = new();
    }
}
