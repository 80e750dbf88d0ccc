using Edsos.Memory;

namespace Edsos.Driver;

/// <summary>One finished (or refused) transmit, as <see cref="TxQueue{TReply}"/> reports it to its actor.</summary>
internal readonly record struct TxCompletion<TReply>(ulong Token, int Length, TxStatus Status, TReply ReplyTo);
