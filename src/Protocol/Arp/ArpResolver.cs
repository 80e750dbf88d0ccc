using System.Diagnostics.CodeAnalysis;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Arp;

/// <summary>
/// The transmit half of ARP (RFC 826, RFC 1122 2.3.2.2): an <see cref="ArpCache{TPacket}"/> that parks
/// packets per unresolved next hop, plus the set of next hops with packets parked, so that a stop can hand
/// every parked packet back. It decides and hands packets back; sending requests and releasing packets is the
/// caller's. Not thread-safe: one actor owns it.
/// </summary>
/// <typeparam name="TPacket">The caller's parked packet (a struct, so parking allocates nothing).</typeparam>
public sealed class ArpResolver<TPacket>
{
    private readonly ArpCache<TPacket> _cache;
    private readonly HashSet<Ipv4Address> _resolving = new();
    private readonly List<Ipv4Address> _settled = new();

    /// <summary>Creates the resolver over a cache timed by <paramref name="time"/>.</summary>
    public ArpResolver(TimeProvider time, ArpCacheOptions? options = null)
    {
        _cache = new ArpCache<TPacket>(time, options);
    }

    /// <summary>Next hops with an outstanding request and packets parked.</summary>
    public int Resolving => _resolving.Count;

    /// <summary>When <see cref="Poll"/> next has work, or null (the caller's timer).</summary>
    public DateTimeOffset? NextDeadline => _cache.NextDeadline;

    /// <summary>
    /// <see cref="ArpCache{TPacket}.Resolve"/> for <paramref name="nextHop"/>, remembering a next hop whose first
    /// packet was parked. The caller sends on the Resolved* outcomes, sends a request on
    /// <see cref="ArpResolveResult.ParkedRequestNeeded"/> and <see cref="ArpResolveResult.ResolvedRefreshNeeded"/>,
    /// and releases <paramref name="released"/> (ENOBUFS) on <see cref="ArpResolveResult.ParkedOldestDropped"/>
    /// and <see cref="ArpResolveResult.Rejected"/>.
    /// </summary>
    public ArpResolveResult Resolve(Ipv4Address nextHop, TPacket packet, out MacAddress mac, [MaybeNull] out TPacket released)
    {
        ArpResolveResult result = _cache.Resolve(nextHop, packet, out mac, out released);
        if (result == ArpResolveResult.ParkedRequestNeeded)
        {
            _resolving.Add(nextHop);
        }

        return result;
    }

    /// <summary>
    /// An ARP packet said <paramref name="address"/> is at <paramref name="mac"/>: the cache learns it (creating
    /// the entry only when <paramref name="createIfMissing"/>, RFC 826's merge rule) and the packets parked for it
    /// are appended to <paramref name="ready"/>, to be sent now.
    /// </summary>
    public void Learn(Ipv4Address address, MacAddress mac, bool createIfMissing, ICollection<TPacket> ready)
    {
        _cache.Update(address, mac, createIfMissing, ready);
        if (_cache.GetState(address) != ArpEntryState.Incomplete)
        {
            _resolving.Remove(address);
        }
    }

    /// <summary>
    /// Runs the cache's timers: addresses to send one more request to go to <paramref name="requests"/>, packets
    /// of next hops that gave up to <paramref name="failed"/> (the caller completes them with EHOSTUNREACH).
    /// </summary>
    public void Poll(ICollection<Ipv4Address> requests, ICollection<TPacket> failed)
    {
        int before = failed.Count;
        _cache.Poll(requests, failed);
        if (failed.Count == before)
        {
            return;
        }

        _settled.Clear();
        foreach (Ipv4Address address in _resolving)
        {
            if (_cache.GetState(address) != ArpEntryState.Incomplete)
            {
                _settled.Add(address);
            }
        }

        foreach (Ipv4Address address in _settled)
        {
            _resolving.Remove(address);
        }

        _settled.Clear();
    }

    /// <summary>The stack's release: every parked packet is appended to <paramref name="failed"/> and its entry removed.</summary>
    public void RemoveParked(ICollection<TPacket> failed)
    {
        foreach (Ipv4Address address in _resolving)
        {
            _cache.Remove(address, failed);
        }

        _resolving.Clear();
    }
}
