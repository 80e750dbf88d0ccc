using Edsos.Memory;

namespace Edsos.Protocol.Ipv4;

/// <summary>A fragment's payload node (headers divided off, a node of the receive TS) and its length.</summary>
/// <param name="Node">The payload node; whoever holds the fragment owns it.</param>
/// <param name="Length">Its length in bytes.</param>
public readonly record struct ReassemblyFragment(Capability Node, int Length);
