using Edsos.Memory;
using Edsos.Protocol;

namespace Edsos.Kpn.Internal;

/// <summary>
/// One completion-ring entry (see <see cref="RingLayout"/> for its bytes): the operation's user data, its result or
/// errno, and for a zero-copy receive the granted node (its capability in the app's TS and its GVA) and the source.
/// </summary>
internal readonly record struct CompletionEntry(ulong UserData, IoOp Op, long Result, Errno Error, Ipv4Endpoint From, Capability Node, Gva Gva);
