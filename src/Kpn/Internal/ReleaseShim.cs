using System.Runtime.CompilerServices;
using Edsos.Memory;

namespace Edsos.Kpn.Internal;

// TEMPORARY until MemoryManager.Release lands on main (the instance method then wins over this extension; delete this file).
internal static class ReleaseShim
{
    public static MemoryResult Release(this MemoryManager memory, TsId owner, Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => node == default ? MemoryResult.Ok : memory.Pop(owner, node);
}
