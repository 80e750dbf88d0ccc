using Akka.Actor;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// The receive path's reassembly (RFC 791 3.2, RFC 5722's overlap rule): a <see cref="FragmentReassembler{TFragment}"/>
/// of payload nodes and the one timer kept at its earliest deadline. It decides and hands back nodes; it never
/// touches memory: after each call the caller merges <see cref="Completed"/> (in offset order) and releases
/// every node in <see cref="Released"/>, exactly once. Both lists are valid until the next call. Not
/// thread-safe: one actor owns it.
/// </summary>
public sealed class ReassemblyStage
{
    private readonly FragmentReassembler<ReassemblyFragment> _reassembler;
    private readonly DeadlineTimer _timer;
    private readonly List<ReassemblyFragment> _completed = new();
    private readonly List<ReassemblyFragment> _released = new();

    /// <summary>Creates the stage; <paramref name="timerKey"/> and <paramref name="tick"/> name the owner's timer and its message.</summary>
    public ReassemblyStage(TimeProvider time, FragmentReassemblerOptions? options, object timerKey, object tick)
    {
        _reassembler = new FragmentReassembler<ReassemblyFragment>(time, options);
        _timer = new DeadlineTimer(timerKey, tick);
    }

    /// <summary>After <see cref="Accept"/> returned <see cref="ReassemblyResult.Complete"/>: the datagram's payload nodes in offset order, now the caller's.</summary>
    public IReadOnlyList<ReassemblyFragment> Completed => _completed;

    /// <summary>Nodes the caller must release now (duplicates, overlaps, invalid, evicted or timed-out fragments).</summary>
    public IReadOnlyList<ReassemblyFragment> Released => _released;

    /// <summary>Datagrams with fragments held.</summary>
    public int Pending => _reassembler.Count;

    /// <summary>
    /// Offers the payload node of the fragment whose header is <paramref name="ip"/>. Takes the node over: it is
    /// held, or comes back in <see cref="Completed"/> or <see cref="Released"/>.
    /// </summary>
    public ReassemblyResult Accept(in Ipv4Repr ip, ReassemblyFragment fragment)
    {
        _completed.Clear();
        _released.Clear();
        return _reassembler.Accept(FragmentKey.Of(ip), ip.FragmentOffset, fragment.Length, ip.MoreFragments, fragment, _completed, _released);
    }

    /// <summary>The header of the whole datagram <see cref="Completed"/> makes, from its last fragment's header.</summary>
    public Ipv4Repr Whole(in Ipv4Repr last)
    {
        int total = 0;
        foreach (ReassemblyFragment fragment in _completed)
        {
            total += fragment.Length;
        }

        return last with { MoreFragments = false, FragmentOffset = 0, PayloadLength = total };
    }

    /// <summary>The timer fired: drops reassemblies whose time ran out into <see cref="Released"/>; returns how many datagrams timed out.</summary>
    public int Expire()
    {
        _timer.Fired();
        _completed.Clear();
        _released.Clear();
        return _reassembler.Expire(_released);
    }

    /// <summary>Keeps the owner's timer at the earliest reassembly deadline (cancelled when nothing is held).</summary>
    public void ScheduleTimer(ITimerScheduler timers, DateTimeOffset now) => _timer.Schedule(timers, _reassembler.NextDeadline, now);

    /// <summary>The stack's release: cancels the timer and moves every held node into <see cref="Released"/>.</summary>
    public void Clear(ITimerScheduler timers)
    {
        _timer.Cancel(timers);
        _completed.Clear();
        _released.Clear();
        _reassembler.Clear(_released);
    }
}
