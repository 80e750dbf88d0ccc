using Edsos.Memory;
using Edsos.Protocol;

namespace Edsos.SocketService.Internal;

/// <summary>A received datagram in the receive queue: its CTRN is mounted in the socket's TS.</summary>
internal readonly record struct QueuedDatagram(Capability Payload, int Length, Ipv4Endpoint From);
