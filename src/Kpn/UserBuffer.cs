using Edsos.Memory;

namespace Edsos.Kpn;

/// <summary>
/// A buffer node in the process's TS: the capability the process holds, its first GVA (what
/// <c>send</c> takes) and its length. Plain data; every use goes through the memory manager's checks.
/// </summary>
/// <param name="Cap">The process's capability to the node.</param>
/// <param name="Gva">The node's first byte in the process's address space.</param>
/// <param name="Length">The node's length in bytes.</param>
public sealed record UserBuffer(Capability Cap, Gva Gva, int Length);
