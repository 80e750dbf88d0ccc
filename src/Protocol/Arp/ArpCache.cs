using System.Diagnostics.CodeAnalysis;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Arp;

/// <summary>
/// IPv4 → MAC neighbour cache (RFC 826, with RFC 1122 2.3.2.2 queueing) that parks packets for
/// addresses being resolved. <typeparamref name="TPacket"/> is the caller's packet handle; the cache
/// never looks inside it, and every handle it takes comes back exactly once: from
/// <see cref="Update"/> to send, or as dropped / rejected / failed to release.
/// </summary>
/// <remarks>
/// Time comes from the injected <see cref="TimeProvider"/>; the cache sets no timers itself. The
/// owner calls <see cref="Poll"/> at <see cref="NextDeadline"/> (or periodically) to get the
/// requests to retransmit and the packets of addresses that never answered. Transitions
/// Reachable → Stale → gone happen lazily when an entry is touched, and in <see cref="Poll"/>.
/// Not thread-safe: one owner.
/// </remarks>
public sealed class ArpCache<TPacket>
{
    private readonly TimeProvider _time;
    private readonly ArpCacheOptions _options;
    private readonly Dictionary<Ipv4Address, Entry> _entries = new();
    private readonly List<Ipv4Address> _scratch = new();

    /// <summary>Creates an empty cache.</summary>
    /// <exception cref="ArgumentException">An option is out of range (non-positive counts or times).</exception>
    public ArpCache(TimeProvider time, ArpCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        options ??= new ArpCacheOptions();
        if (options.MaxRequests < 1 || options.QueueLength < 1 || options.Capacity < 1
            || options.RetransmitInterval <= TimeSpan.Zero || options.ReachableTime <= TimeSpan.Zero || options.StaleTime < TimeSpan.Zero)
        {
            throw new ArgumentException("ARP cache options must be positive.", nameof(options));
        }

        _time = time;
        _options = options;
    }

    /// <summary>Number of entries, unresolved ones included.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Gets the MAC for <paramref name="address"/> if resolved, or parks <paramref name="packet"/> until
    /// it is. See <see cref="ArpResolveResult"/> for what the caller must do with each outcome.
    /// </summary>
    /// <param name="address">The next hop (not necessarily the final destination).</param>
    /// <param name="packet">The packet to send; kept by the cache only for the Parked* outcomes.</param>
    /// <param name="mac">The destination MAC for the Resolved* outcomes; default otherwise.</param>
    /// <param name="released">For <see cref="ArpResolveResult.ParkedOldestDropped"/> the dropped oldest
    /// packet, for <see cref="ArpResolveResult.Rejected"/> <paramref name="packet"/> itself; the caller
    /// releases it. Default otherwise.</param>
    public ArpResolveResult Resolve(Ipv4Address address, TPacket packet, out MacAddress mac, [MaybeNull] out TPacket released)
    {
        DateTimeOffset now = _time.GetUtcNow();
        released = default;
        mac = default;
        Entry? entry = GetAged(address, now);
        if (entry is null)
        {
            if (_entries.Count >= _options.Capacity && !EvictOneResolved())
            {
                released = packet;
                return ArpResolveResult.Rejected;
            }

            entry = new Entry { State = ArpEntryState.Incomplete, RequestsSent = 1, Deadline = now + _options.RetransmitInterval };
            entry.Parked.Enqueue(packet);
            _entries.Add(address, entry);
            return ArpResolveResult.ParkedRequestNeeded;
        }

        switch (entry.State)
        {
            case ArpEntryState.Incomplete:
                ArpResolveResult result = ArpResolveResult.Parked;
                if (entry.Parked.Count >= _options.QueueLength)
                {
                    // Drop the oldest: it has waited longest and is the likeliest to be stale for its sender.
                    released = entry.Parked.Dequeue();
                    result = ArpResolveResult.ParkedOldestDropped;
                }

                entry.Parked.Enqueue(packet);
                return result;

            case ArpEntryState.Stale:
                mac = entry.Mac;

                // One refresh per retransmit interval, so a busy flow does not spray requests.
                if (entry.LastRefresh is null || now - entry.LastRefresh.Value >= _options.RetransmitInterval)
                {
                    entry.LastRefresh = now;
                    return ArpResolveResult.ResolvedRefreshNeeded;
                }

                return ArpResolveResult.Resolved;

            default:
                mac = entry.Mac;
                return ArpResolveResult.Resolved;
        }
    }

    /// <summary>Looks up a resolved (Reachable, Stale or Permanent) address without parking anything.</summary>
    /// <returns>False for unknown or still-unresolved addresses.</returns>
    public bool TryGet(Ipv4Address address, out MacAddress mac)
    {
        Entry? entry = GetAged(address, _time.GetUtcNow());
        if (entry is null || entry.State == ArpEntryState.Incomplete)
        {
            mac = default;
            return false;
        }

        mac = entry.Mac;
        return true;
    }

    /// <summary>The state of the entry for <paramref name="address"/> after ageing; <see cref="ArpEntryState.None"/> if absent.</summary>
    public ArpEntryState GetState(Ipv4Address address)
    {
        return GetAged(address, _time.GetUtcNow())?.State ?? ArpEntryState.None;
    }

    /// <summary>
    /// Records that <paramref name="address"/> is at <paramref name="mac"/> (an ARP reply, or a request
    /// from it: RFC 826 merges the sender into the table). The entry becomes Reachable, and any parked
    /// packets are appended to <paramref name="ready"/> in arrival order for the caller to send.
    /// </summary>
    /// <param name="createIfMissing">True to add an unknown address (RFC 826 does so when the packet is
    /// addressed to us); false to only refresh existing entries, so unsolicited traffic cannot fill the table.</param>
    /// <returns>True if an entry for <paramref name="address"/> now exists.</returns>
    public bool Update(Ipv4Address address, MacAddress mac, bool createIfMissing, ICollection<TPacket> ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        DateTimeOffset now = _time.GetUtcNow();
        Entry? entry = GetAged(address, now);
        if (entry is null)
        {
            if (!createIfMissing || (_entries.Count >= _options.Capacity && !EvictOneResolved()))
            {
                return false;
            }

            entry = new Entry();
            _entries.Add(address, entry);
        }

        if (entry.State == ArpEntryState.Permanent)
        {
            // A hand-configured mapping outranks whatever the wire claims (ARP spoofing defence).
            return true;
        }

        entry.Mac = mac;
        entry.State = ArpEntryState.Reachable;
        entry.Deadline = now + _options.ReachableTime;
        entry.RequestsSent = 0;
        entry.LastRefresh = null;
        while (entry.Parked.Count > 0)
        {
            ready.Add(entry.Parked.Dequeue());
        }

        return true;
    }

    /// <summary>Adds or replaces a never-expiring mapping; parked packets for it go to <paramref name="ready"/>.</summary>
    public void AddPermanent(Ipv4Address address, MacAddress mac, ICollection<TPacket> ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (!_entries.TryGetValue(address, out Entry? entry))
        {
            entry = new Entry();
            _entries.Add(address, entry);
        }

        entry.State = ArpEntryState.Permanent;
        entry.Mac = mac;
        while (entry.Parked.Count > 0)
        {
            ready.Add(entry.Parked.Dequeue());
        }
    }

    /// <summary>Removes the entry; its parked packets go to <paramref name="failed"/>.</summary>
    /// <returns>False if there was no entry.</returns>
    public bool Remove(Ipv4Address address, ICollection<TPacket> failed)
    {
        ArgumentNullException.ThrowIfNull(failed);
        if (!_entries.Remove(address, out Entry? entry))
        {
            return false;
        }

        while (entry.Parked.Count > 0)
        {
            failed.Add(entry.Parked.Dequeue());
        }

        return true;
    }

    /// <summary>
    /// Runs the timers: for each unresolved address whose retransmit time passed, either asks for one
    /// more request (appended to <paramref name="requestsToSend"/>) or, after
    /// <see cref="ArpCacheOptions.MaxRequests"/>, gives up: the entry goes and its parked packets are
    /// appended to <paramref name="failed"/>, to be completed with EHOSTUNREACH. Expired Stale entries
    /// are removed.
    /// </summary>
    public void Poll(ICollection<Ipv4Address> requestsToSend, ICollection<TPacket> failed)
    {
        ArgumentNullException.ThrowIfNull(requestsToSend);
        ArgumentNullException.ThrowIfNull(failed);
        DateTimeOffset now = _time.GetUtcNow();
        _scratch.Clear();
        foreach (KeyValuePair<Ipv4Address, Entry> pair in _entries)
        {
            Entry entry = pair.Value;
            Age(entry, now);
            if (entry.State == ArpEntryState.None)
            {
                _scratch.Add(pair.Key);
            }
            else if (entry.State == ArpEntryState.Incomplete && now >= entry.Deadline)
            {
                if (entry.RequestsSent >= _options.MaxRequests)
                {
                    while (entry.Parked.Count > 0)
                    {
                        failed.Add(entry.Parked.Dequeue());
                    }

                    _scratch.Add(pair.Key);
                }
                else
                {
                    entry.RequestsSent++;
                    entry.Deadline = now + _options.RetransmitInterval;
                    requestsToSend.Add(pair.Key);
                }
            }
        }

        foreach (Ipv4Address gone in _scratch)
        {
            _entries.Remove(gone);
        }

        _scratch.Clear();
    }

    /// <summary>The earliest time at which <see cref="Poll"/> has work (a retransmit, a give-up or an
    /// expiry), or null when no entry ages.</summary>
    public DateTimeOffset? NextDeadline
    {
        get
        {
            DateTimeOffset? earliest = null;
            foreach (Entry entry in _entries.Values)
            {
                if (entry.State != ArpEntryState.Permanent && (earliest is null || entry.Deadline < earliest.Value))
                {
                    earliest = entry.Deadline;
                }
            }

            return earliest;
        }
    }

    private Entry? GetAged(Ipv4Address address, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(address, out Entry? entry))
        {
            return null;
        }

        Age(entry, now);
        if (entry.State == ArpEntryState.None)
        {
            _entries.Remove(address);
            return null;
        }

        return entry;
    }

    private void Age(Entry entry, DateTimeOffset now)
    {
        if (entry.State == ArpEntryState.Reachable && now >= entry.Deadline)
        {
            entry.State = ArpEntryState.Stale;
            entry.Deadline += _options.StaleTime;
        }

        if (entry.State == ArpEntryState.Stale && now >= entry.Deadline)
        {
            // Only resolved entries reach here, so there is nothing parked to hand back.
            entry.State = ArpEntryState.None;
        }
    }

    private bool EvictOneResolved()
    {
        // Evict the resolved entry closest to expiry; unresolved ones hold parked packets and a
        // pending answer, so they are never evicted to make room.
        bool found = false;
        Ipv4Address victim = default;
        DateTimeOffset victimDeadline = DateTimeOffset.MaxValue;
        foreach (KeyValuePair<Ipv4Address, Entry> pair in _entries)
        {
            Entry entry = pair.Value;
            if ((entry.State is ArpEntryState.Reachable or ArpEntryState.Stale) && entry.Deadline < victimDeadline)
            {
                found = true;
                victim = pair.Key;
                victimDeadline = entry.Deadline;
            }
        }

        if (found)
        {
            _entries.Remove(victim);
        }

        return found;
    }

    private sealed class Entry
    {
        public ArpEntryState State;
        public MacAddress Mac;

        // Incomplete: next retransmit or give-up. Reachable: when it turns Stale. Stale: when it goes.
        public DateTimeOffset Deadline;
        public int RequestsSent;
        public DateTimeOffset? LastRefresh;
        public readonly Queue<TPacket> Parked = new();
    }
}
