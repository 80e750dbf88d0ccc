namespace Edsos.Memory;

/// <summary>A snapshot of one TS.</summary>
/// <param name="Id">The TS id.</param>
/// <param name="Path">Its path, for example <c>/net/sockets/sock_0xABCD</c>.</param>
/// <param name="Kind">Kernel or user.</param>
/// <param name="Parent">The parent TS; <see cref="TsId.None"/> for the root.</param>
/// <param name="Alive">False once the TS has been lifted.</param>
/// <param name="Children">Direct children, in creation order.</param>
public sealed record TsInfo(TsId Id, string Path, TsKind Kind, TsId Parent, bool Alive, IReadOnlyList<TsId> Children);
