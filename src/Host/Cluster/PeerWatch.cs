using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Edsos.Memory;
using Edsos.Memory.Shared;

namespace Edsos.Host.Cluster;

/// <summary>
/// A role process's reaper (at <c>/user/peer-watch</c>): it knows the other role processes of its host from the
/// cluster's membership (each member carries the roles <c>host-X</c>, its role and <c>pid-N</c>), polls their pids
/// every <see cref="PollInterval"/> and, as soon as one is gone (or the cluster marks it unreachable and its pid is
/// gone), downs its member, calls <see cref="MemoryManager.ReapDeadProcesses"/> on the shared arena (the dead process's
/// TSs exit: every CTRN of theirs is lifted, their pins released) and reports <see cref="PeerDied"/>; a same-host member
/// that comes up is reported as <see cref="PeerUp"/>. Death is noticed in about 50 ms instead of the failure detector's
/// seconds. The reports go to <c>notify</c>, called on this actor's thread.
/// </summary>
internal sealed class PeerWatch : ReceiveActor, IWithTimers
{
    /// <summary>How often the peers' pids are checked.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly string _hostRole;
    private readonly MemoryManager _memory;
    private readonly Action<object> _notify;
    private readonly Dictionary<Address, (string Role, int Pid)> _peers = [];
    private readonly HashSet<Address> _announced = [];

    public PeerWatch(string host, MemoryManager memory, Action<object> notify)
    {
        _hostRole = HostRole(host);
        _memory = memory;
        _notify = notify;
        Receive<ClusterEvent.MemberJoined>(joined => Track(joined.Member, announce: false));
        Receive<ClusterEvent.MemberUp>(up => Track(up.Member, announce: true));
        Receive<ClusterEvent.MemberWeaklyUp>(up => Track(up.Member, announce: true));
        Receive<ClusterEvent.UnreachableMember>(_ => Check());
        Receive<ClusterEvent.MemberRemoved>(_ => Check());
        Receive<Poll>(_ => Check());
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    /// <summary>Ticks <see cref="PollInterval"/>.</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A same-host role process is an Up (or weakly up) member at <paramref name="Address"/>.</summary>
    public sealed record PeerUp(string Role, int Pid, Address Address);

    /// <summary>A same-host role process died; <paramref name="Reap"/> is what this process's reap undid (empty when another survivor reaped first).</summary>
    public sealed record PeerDied(string Role, int Pid, ReapReport Reap, TimeSpan NoticedAfter);

    /// <summary>The cluster role naming a member's EDSOS host.</summary>
    public static string HostRole(string host) => $"host-{host}";

    /// <summary>The cluster role carrying a member's pid.</summary>
    public static string PidRole(int pid) => string.Create(CultureInfo.InvariantCulture, $"pid-{pid}");

    /// <summary>True while <paramref name="pid"/> names a running process (not gone, not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X' or 'x');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(
            Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("poll", Poll.Instance, PollInterval);
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    /// <summary>
    /// Watches a same-host member's pid from the moment it joins (a process killed before the leader moved it up must
    /// still be reaped), and announces it (<see cref="PeerUp"/>) once, when it is up.
    /// </summary>
    private void Track(Member member, bool announce)
    {
        var self = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
        if (member.Address == self || !member.HasRole(_hostRole))
        {
            return;
        }

        if (_peers.TryGetValue(member.Address, out var known))
        {
            if (announce && _announced.Add(member.Address))
            {
                _notify(new PeerUp(known.Role, known.Pid, member.Address));
            }

            return;
        }

        int pid = 0;
        string role = "?";
        foreach (string r in member.Roles)
        {
            if (r.StartsWith("pid-", StringComparison.Ordinal))
            {
                _ = int.TryParse(r.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out pid);
            }
            else if (NodeOptions.Roles.Contains(r))
            {
                role = r;
            }
        }

        if (pid <= 0 || !IsAlive(pid))
        {
            return;
        }

        _peers[member.Address] = (role, pid);
        if (announce && _announced.Add(member.Address))
        {
            _notify(new PeerUp(role, pid, member.Address));
        }
    }

    private void Check()
    {
        List<Address>? dead = null;
        foreach (var (address, peer) in _peers)
        {
            if (!IsAlive(peer.Pid))
            {
                (dead ??= []).Add(address);
            }
        }

        if (dead is null)
        {
            return;
        }

        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var noticed = System.Diagnostics.Stopwatch.StartNew();
        var reap = _memory.ReapDeadProcesses();
        foreach (var address in dead)
        {
            var (role, pid) = _peers[address];
            _peers.Remove(address);
            _announced.Remove(address);

            // Its pid is gone: the member can never come back, so the cluster need not wait for the failure detector.
            cluster.Down(address);
            _notify(new PeerDied(role, pid, reap, noticed.Elapsed));
        }
    }

    private sealed record Poll
    {
        public static Poll Instance { get; } = new();
    }
}
