using Edsos.Memory;

namespace Edsos.Scheduler;

/// <summary>
/// Published on the actor system's event stream for each tree space that <see cref="EdsrtExtension.ExitTsAsync(TsId)"/>
/// exited, after its actors stopped and its memory was lifted. Children are signalled before parents.
/// </summary>
/// <param name="Ts">The exited tree space.</param>
/// <param name="Path">Its path.</param>
/// <param name="Report">What <see cref="MemoryManager.Lift"/> revoked and freed.</param>
public sealed record TsExited(TsId Ts, string Path, LiftReport Report);
