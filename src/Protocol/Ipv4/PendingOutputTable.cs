using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// The completion bookkeeping of <c>ip_queue_xmit</c>: each datagram gets an output id; its frames are counted
/// out to the qdisc and back; the first error of any frame (or of building them) is kept; once nothing is out
/// and the datagram is fully handed over it completes once. Generic in the reply target so it is tested without
/// actors. Not thread-safe: one actor owns it.
/// </summary>
/// <typeparam name="TReply">Whom a completion is reported to.</typeparam>
public sealed class PendingOutputTable<TReply>
{
    private readonly Dictionary<ulong, Entry> _pending = new();
    private ulong _nextOutputId = 1;

    /// <summary>Datagrams not yet completed.</summary>
    public int Count => _pending.Count;

    /// <summary>Registers a datagram of the sender's <paramref name="requestId"/>; returns its output id (never 0).</summary>
    public ulong Add(ulong requestId, TReply replyTo, int reportedBytes)
    {
        ulong id = _nextOutputId++;
        _pending.Add(id, new Entry { RequestId = requestId, ReplyTo = replyTo, Bytes = reportedBytes });
        return id;
    }

    /// <summary>One frame of <paramref name="outputId"/> went to the qdisc; it completes only after that frame is back.</summary>
    public void FrameQueued(ulong outputId)
    {
        ref Entry entry = ref Find(outputId);
        if (!Unsafe.IsNullRef(ref entry))
        {
            entry.Outstanding++;
        }
    }

    /// <summary>A frame of <paramref name="outputId"/> came back with <paramref name="error"/>; unknown ids are ignored (false).</summary>
    public bool FrameDone(ulong outputId, Errno error)
    {
        ref Entry entry = ref Find(outputId);
        if (Unsafe.IsNullRef(ref entry))
        {
            return false;
        }

        entry.Outstanding--;
        if (error != Errno.None && entry.Error == Errno.None)
        {
            entry.Error = error;
        }

        return true;
    }

    /// <summary>Records <paramref name="error"/> unless an earlier one is kept; true when this was the first error.</summary>
    public bool SetError(ulong outputId, Errno error)
    {
        ref Entry entry = ref Find(outputId);
        if (Unsafe.IsNullRef(ref entry) || entry.Error != Errno.None || error == Errno.None)
        {
            return false;
        }

        entry.Error = error;
        return true;
    }

    /// <summary>
    /// Completes <paramref name="outputId"/> if none of its frames is out: removes it and returns what to report.
    /// False while frames are out, or for an unknown (already completed) id.
    /// </summary>
    public bool TryComplete(ulong outputId, out OutputCompletion<TReply> completion)
    {
        if (!_pending.TryGetValue(outputId, out Entry entry) || entry.Outstanding > 0)
        {
            completion = default;
            return false;
        }

        _pending.Remove(outputId);
        completion = new OutputCompletion<TReply>(entry.RequestId, entry.ReplyTo, entry.Bytes, entry.Error);
        return true;
    }

    /// <summary>
    /// The stack's release: every datagram still pending completes now, with its first error or
    /// <paramref name="error"/> (its frames in the qdisc are popped there), appended to <paramref name="completions"/>.
    /// </summary>
    public void Drain(Errno error, ICollection<OutputCompletion<TReply>> completions)
    {
        foreach (Entry entry in _pending.Values)
        {
            completions.Add(new OutputCompletion<TReply>(entry.RequestId, entry.ReplyTo, entry.Bytes, entry.Error == Errno.None ? error : entry.Error));
        }

        _pending.Clear();
    }

    private ref Entry Find(ulong outputId) => ref CollectionsMarshal.GetValueRefOrNullRef(_pending, outputId);

    private struct Entry
    {
        public ulong RequestId;
        public TReply ReplyTo;
        public int Bytes;
        public int Outstanding;
        public Errno Error;
    }
}
