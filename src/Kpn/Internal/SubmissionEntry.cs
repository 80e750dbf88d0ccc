using Edsos.Memory;
using Edsos.Protocol;

namespace Edsos.Kpn.Internal;

/// <summary>One submission-ring entry as the app prepared it (see <see cref="RingLayout"/> for its bytes).</summary>
internal readonly record struct SubmissionEntry(IoOp Op, int Fd, Gva Buffer, int Length, Ipv4Endpoint? Destination, MsgFlags Flags, ulong UserData);
