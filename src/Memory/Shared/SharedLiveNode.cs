namespace Edsos.Memory.Shared;

/// <summary>A live node as a leak report sees it: id and generation, path, owner, CTRN-ness, length.</summary>
internal readonly record struct SharedLiveNode(uint Id, uint Generation, string Path, TsId Owner, string OwnerPath, bool IsCtrn, int Length);
