using Akka.Actor.Setup;
using Edsos.Memory;
using Microsoft.Extensions.Logging;

namespace Edsos.Scheduler;

/// <summary>
/// The part of an actor system's <see cref="ActorSystemSetup"/> that EDSRT reads when its extension
/// starts: the host's memory manager and where Akka's log events go. A system started without it gets
/// a private memory manager and no log output.
/// </summary>
/// <param name="Memory">The host's memory manager, or null for a private one of <paramref name="PrivateMemoryPages"/> pages.</param>
/// <param name="LoggerFactory">The factory Akka's log events are written to, or null.</param>
/// <param name="PrivateMemoryPages">Pages of the private memory manager.</param>
public sealed class EdsrtSetup(MemoryManager? Memory, ILoggerFactory? LoggerFactory, int PrivateMemoryPages = 1024) : Setup
{
    /// <summary>The host's memory manager, or null for a private one.</summary>
    public MemoryManager? Memory { get; } = Memory;

    /// <summary>The factory Akka's log events are written to, or null.</summary>
    public ILoggerFactory? LoggerFactory { get; } = LoggerFactory;

    /// <summary>Pages of the private memory manager.</summary>
    public int PrivateMemoryPages { get; } = PrivateMemoryPages;
}
