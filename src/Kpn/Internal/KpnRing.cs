using Akka.Actor;
using Edsos.Memory;

namespace Edsos.Kpn.Internal;

/// <summary>
/// The KPN's side of one ring pair: the capabilities of the two rings in the app's TS (checked once, at setup, and
/// again by every read and write), how far it consumed and produced, and the completions staged until the next
/// flush, which writes them all with one or two memory writes and wakes the reaper once.
/// </summary>
/// <remarks>
/// Lives in the KPN and is used on its thread only. Completions are staged rather than written one by one: the first
/// staged one asks the KPN for a flush (a message to itself), so every completion already in its mailbox joins the
/// same write.
/// </remarks>
internal sealed class KpnRing
{
    private readonly Stack<RingOpCompletion> _free = new();
    private readonly List<CompletionEntry> _staged = new();
    private readonly IActorRefProvider _provider;
    private readonly IActorRef _kpn;
    private readonly object _flush;
    private readonly Action<CompletionEntry> _drop;

    public KpnRing(RingShared shared, Capability sq, int sqOffset, Capability cq, int cqOffset, IActorRef kpn, IActorRefProvider provider, object flush, Action<CompletionEntry> drop)
    {
        Shared = shared;
        Sq = sq;
        SqOffset = sqOffset;
        Cq = cq;
        CqOffset = cqOffset;
        _kpn = kpn;
        _provider = provider;
        _flush = flush;
        _drop = drop;
        Scratch = new byte[Math.Max(shared.SqEntries * RingLayout.SqeSize, shared.CqEntries * RingLayout.CqeSize)];
    }

    public RingShared Shared { get; }

    /// <summary>The submission ring's node in the app's TS, and the ring's offset in it.</summary>
    public Capability Sq { get; }

    public int SqOffset { get; }

    /// <summary>The completion ring's node in the app's TS, and the ring's offset in it.</summary>
    public Capability Cq { get; }

    public int CqOffset { get; }

    /// <summary>Bytes to read submission entries into and to encode completion entries in.</summary>
    public byte[] Scratch { get; }

    /// <summary>Submission entries consumed so far.</summary>
    public long SqConsumed { get; set; }

    /// <summary>Completion entries written so far.</summary>
    public long CqProduced { get; set; }

    /// <summary>True once the app closed the ring or the KPN stopped: completions are dropped as they come.</summary>
    public bool Closed { get; set; }

    /// <summary>Operations submitted and not completed yet.</summary>
    public int Outstanding { get; private set; }

    /// <summary>The completions waiting for the next flush.</summary>
    public List<CompletionEntry> Staged => _staged;

    /// <summary>A reply address for one operation.</summary>
    public RingOpCompletion Rent(ulong userData, IoOp op)
    {
        var completion = _free.Count > 0 ? _free.Pop() : new RingOpCompletion(this, _provider);
        completion.UserData = userData;
        completion.Op = op;
        Outstanding++;
        return completion;
    }

    /// <summary>An operation's answer: staged for the next flush (asked for now if none is pending).</summary>
    public void Complete(RingOpCompletion completion, in CompletionEntry entry)
    {
        Outstanding--;
        _free.Push(completion);
        if (Closed)
        {
            // Nobody reaps this ring any more.
            _drop(entry);
            return;
        }

        _staged.Add(entry);
        if (_staged.Count == 1)
        {
            _kpn.Tell(_flush, ActorRefs.NoSender);
        }
    }
}
