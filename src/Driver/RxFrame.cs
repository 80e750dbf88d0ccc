using Edsos.Memory;

namespace Edsos.Driver;

/// <summary>One received frame as <see cref="RxQueue"/> hands it to its actor: a CTRN in the handler's TS, and what the NIC found of its checksums.</summary>
internal readonly record struct RxFrame(Capability Frame, int Length, RxChecksum Checksum);
