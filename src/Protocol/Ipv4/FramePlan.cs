namespace Edsos.Protocol.Ipv4;

/// <summary>How one datagram leaves (<see cref="FragmentationPlanner.Plan"/>).</summary>
/// <param name="Identification">The IPv4 identification of its frames (the first segment's, for a super-segment).</param>
/// <param name="Fragments">Frames it becomes: 1 when it fits the MTU (or is a super-segment), else the fragment count.</param>
/// <param name="Mtu">The MTU the fragments are cut for (65535 on loopback).</param>
/// <param name="Gso">A TCP super-segment: one frame, DF set, cut by the NIC.</param>
public readonly record struct FramePlan(ushort Identification, int Fragments, int Mtu, bool Gso);
