namespace Edsos.Protocol.Ipv4;

/// <summary>
/// Reassembles IPv4 fragments (RFC 791 3.2) by handle: it tracks offsets and lengths, never bytes.
/// The caller passes each fragment's data handle and gets the handles back in offset order once the
/// datagram is whole, and then chains them (scatter-gather) instead of copying.
/// </summary>
/// <remarks>
/// Ownership contract: every handle passed to <see cref="Accept"/> comes back exactly once, either in
/// a completed list or in a released list (duplicate, overlap, invalid, evicted, expired, cleared).
/// Time comes from the injected <see cref="TimeProvider"/>; the owner calls <see cref="Expire"/> at
/// <see cref="NextDeadline"/>. Not thread-safe: one owner.
/// </remarks>
public sealed class FragmentReassembler<TFragment>
{
    private const int MinHeaderLength = 20;

    // Finished reassemblies kept for reuse, so a steady flow of fragmented datagrams allocates no
    // record and no piece list per datagram.
    private const int MaxPooled = 8;

    private readonly TimeProvider _time;
    private readonly FragmentReassemblerOptions _options;
    private readonly Dictionary<FragmentKey, Reassembly> _reassemblies = new();
    private readonly List<FragmentKey> _scratch = new();
    private readonly Stack<Reassembly> _pool = new();

    /// <summary>Creates an empty reassembler.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public FragmentReassembler(TimeProvider time, FragmentReassemblerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        options ??= new FragmentReassemblerOptions();
        if (options.Timeout <= TimeSpan.Zero || options.MaxReassemblies < 1
            || options.MaxDatagramLength <= MinHeaderLength || options.MaxDatagramLength > ushort.MaxValue)
        {
            throw new ArgumentException("Reassembly options out of range.", nameof(options));
        }

        _time = time;
        _options = options;
    }

    /// <summary>Datagrams being reassembled (including discarded ones still blocking their key).</summary>
    public int Count => _reassemblies.Count;

    /// <summary>Handles currently held.</summary>
    public int HeldFragments
    {
        get
        {
            int held = 0;
            foreach (Reassembly reassembly in _reassemblies.Values)
            {
                held += reassembly.Pieces.Count;
            }

            return held;
        }
    }

    /// <summary>When the oldest reassembly times out, or null when none is in progress.</summary>
    public DateTimeOffset? NextDeadline
    {
        get
        {
            DateTimeOffset? earliest = null;
            foreach (Reassembly reassembly in _reassemblies.Values)
            {
                if (earliest is null || reassembly.Deadline < earliest.Value)
                {
                    earliest = reassembly.Deadline;
                }
            }

            return earliest;
        }
    }

    /// <summary>Offers one fragment.</summary>
    /// <param name="key">The datagram it belongs to.</param>
    /// <param name="offset">Fragment offset in bytes (the header field × 8).</param>
    /// <param name="length">Fragment data length in bytes.</param>
    /// <param name="moreFragments">The MF flag.</param>
    /// <param name="fragment">The caller's handle for the fragment's data.</param>
    /// <param name="completed">On <see cref="ReassemblyResult.Complete"/>, receives the datagram's handles in offset order.</param>
    /// <param name="released">Receives handles the caller must release: see <see cref="ReassemblyResult"/>; also,
    /// under any result, those of a reassembly evicted to make room.</param>
    public ReassemblyResult Accept(
        in FragmentKey key,
        int offset,
        int length,
        bool moreFragments,
        TFragment fragment,
        ICollection<TFragment> completed,
        ICollection<TFragment> released)
    {
        ArgumentNullException.ThrowIfNull(completed);
        ArgumentNullException.ThrowIfNull(released);

        // RFC 791: offsets count 8-byte units, so every fragment but the last carries a multiple of 8.
        int end = offset + length;
        if (offset < 0 || length <= 0 || offset % 8 != 0
            || (moreFragments && length % 8 != 0)
            || (!moreFragments && offset == 0)
            || end > _options.MaxDatagramLength - MinHeaderLength)
        {
            released.Add(fragment);
            return ReassemblyResult.Invalid;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if (!_reassemblies.TryGetValue(key, out Reassembly? reassembly) || now >= reassembly.Deadline)
        {
            if (reassembly is not null)
            {
                // Timed out but not yet collected by Expire: this fragment starts a new datagram.
                Discard(reassembly, released);
                _reassemblies.Remove(key);
                Recycle(reassembly);
            }
            else if (_reassemblies.Count >= _options.MaxReassemblies)
            {
                EvictOldest(released);
            }

            reassembly = _pool.Count > 0 ? _pool.Pop() : new Reassembly();
            reassembly.Deadline = now + _options.Timeout;
            _reassemblies.Add(key, reassembly);
        }

        if (reassembly.Poisoned)
        {
            released.Add(fragment);
            return ReassemblyResult.Overlap;
        }

        List<Piece> pieces = reassembly.Pieces;

        // Insertion point: first held piece starting at or after this one. Few pieces per datagram, so linear.
        int index = 0;
        while (index < pieces.Count && pieces[index].Offset < offset)
        {
            index++;
        }

        if (index < pieces.Count && pieces[index].Offset == offset && pieces[index].Length == length
            && (moreFragments ? reassembly.TotalLength != end : reassembly.TotalLength == end))
        {
            released.Add(fragment);
            return ReassemblyResult.Duplicate;
        }

        bool overlapsPrevious = index > 0 && pieces[index - 1].Offset + pieces[index - 1].Length > offset;
        bool overlapsNext = index < pieces.Count && pieces[index].Offset < end;
        bool contradictsEnd = reassembly.TotalLength >= 0
            ? (moreFragments ? end >= reassembly.TotalLength : end != reassembly.TotalLength)
            : !moreFragments && pieces.Count > 0 && pieces[^1].Offset + pieces[^1].Length > end;
        if (overlapsPrevious || overlapsNext || contradictsEnd)
        {
            released.Add(fragment);
            Discard(reassembly, released);
            reassembly.Poisoned = true;
            return ReassemblyResult.Overlap;
        }

        pieces.Insert(index, new Piece(offset, length, fragment));
        reassembly.ReceivedBytes += length;
        if (!moreFragments)
        {
            reassembly.TotalLength = end;
        }

        // No overlaps are ever held, so byte count equal to the total means no holes.
        if (reassembly.TotalLength >= 0 && reassembly.ReceivedBytes == reassembly.TotalLength)
        {
            for (int i = 0; i < pieces.Count; i++)
            {
                completed.Add(pieces[i].Handle);
            }

            _reassemblies.Remove(key);
            pieces.Clear();
            Recycle(reassembly);
            return ReassemblyResult.Complete;
        }

        return ReassemblyResult.Incomplete;
    }

    /// <summary>Drops every reassembly whose timeout passed; their handles go to <paramref name="released"/>.</summary>
    /// <returns>How many datagrams timed out (discarded ones included).</returns>
    public int Expire(ICollection<TFragment> released)
    {
        ArgumentNullException.ThrowIfNull(released);
        DateTimeOffset now = _time.GetUtcNow();
        _scratch.Clear();
        foreach (KeyValuePair<FragmentKey, Reassembly> pair in _reassemblies)
        {
            if (now >= pair.Value.Deadline)
            {
                Discard(pair.Value, released);
                _scratch.Add(pair.Key);
            }
        }

        foreach (FragmentKey key in _scratch)
        {
            if (_reassemblies.Remove(key, out Reassembly? timedOut))
            {
                Recycle(timedOut);
            }
        }

        int expired = _scratch.Count;
        _scratch.Clear();
        return expired;
    }

    /// <summary>Drops everything (interface down, shutdown); all held handles go to <paramref name="released"/>.</summary>
    public void Clear(ICollection<TFragment> released)
    {
        ArgumentNullException.ThrowIfNull(released);
        foreach (Reassembly reassembly in _reassemblies.Values)
        {
            Discard(reassembly, released);
            Recycle(reassembly);
        }

        _reassemblies.Clear();
    }

    private void EvictOldest(ICollection<TFragment> released)
    {
        FragmentKey oldestKey = default;
        Reassembly? oldest = null;
        foreach (KeyValuePair<FragmentKey, Reassembly> pair in _reassemblies)
        {
            if (oldest is null || pair.Value.Deadline < oldest.Deadline)
            {
                oldestKey = pair.Key;
                oldest = pair.Value;
            }
        }

        if (oldest is not null)
        {
            Discard(oldest, released);
            _reassemblies.Remove(oldestKey);
            Recycle(oldest);
        }
    }

    private void Recycle(Reassembly reassembly)
    {
        if (_pool.Count < MaxPooled)
        {
            reassembly.TotalLength = -1;
            reassembly.ReceivedBytes = 0;
            reassembly.Poisoned = false;
            _pool.Push(reassembly);
        }
    }

    private static void Discard(Reassembly reassembly, ICollection<TFragment> released)
    {
        List<Piece> pieces = reassembly.Pieces;
        for (int i = 0; i < pieces.Count; i++)
        {
            released.Add(pieces[i].Handle);
        }

        pieces.Clear();
        reassembly.ReceivedBytes = 0;
    }

    private readonly record struct Piece(int Offset, int Length, TFragment Handle);

    private sealed class Reassembly
    {
        public readonly List<Piece> Pieces = new();
        public DateTimeOffset Deadline;

        // Data length of the whole datagram, known once the MF=0 fragment arrived; -1 until then.
        public int TotalLength = -1;
        public int ReceivedBytes;

        // Set when an overlap discarded the datagram: later fragments of it are dropped until the deadline.
        public bool Poisoned;
    }
}
