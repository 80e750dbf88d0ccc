using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>The process table: a dead process is a TS exit for every TS it hosted.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Finds every attached process that is no longer running (pid gone, zombie, or reused by a
    /// process with another start time), lifts every TS it hosted (its nodes and the CTRNs
    /// originating in them), releases its pins and frees its record; then finishes any lift a dead
    /// process left half done (a TS still <em>lifting</em>, whoever hosts it). Pages return to the free
    /// stack once no surviving pin holds them. Safe to call from any number of processes at once,
    /// and idempotent: a reaper that dies midway leaves the rest to the next.
    /// </summary>
    public ReapReport ReapDeadProcesses()
    {
        Enter();
        try
        {
            return ReapLocked();
        }
        finally
        {
            Leave();
        }
    }

    private ReapReport ReapLocked()
    {
        var pids = new List<int>();
        int lifted = 0, revoked = 0, ctrns = 0, pins = 0;
        for (int slot = 0; slot < _layout.MaxProcesses; slot++)
        {
            long rec = _layout.Proc(slot);
            if (slot == _procSlot || I32(rec + L.PState) == 0 || ProcessLiveness.IsAlive(I32(rec + L.PPid), I64(rec + L.PStartTime)))
            {
                continue;
            }

            pids.Add(I32(rec + L.PPid));
            ForgetLockSleepers(slot);
            var (ts, nodes, ctrnsRevoked, released) = ReleaseProcess(slot);
            lifted += ts;
            revoked += nodes;
            ctrns += ctrnsRevoked;
            pins += released;
        }

        // A lift cut short by a death in a process that did not host the TS (Lift of any TS) is
        // finished here too: its host may be alive, so no process record leads to it.
        for (int ts = RootTs; ts < I32(L.HNextTs); ts++)
        {
            if (IsLifting(ts))
            {
                var finished = FinishLifts(out int exited);
                revoked += finished.NodesRevoked;
                ctrns += finished.CtrnsRevoked;
                lifted += exited;
                break;
            }
        }

        return new ReapReport(pids.Count, pids, lifted, revoked, pins, ctrns);
    }

    /// <summary>
    /// The TS exit of a whole process: every TS it hosts goes to lifting in one transaction, one
    /// node scan revokes them all, then its pins go and its record is freed.
    /// </summary>
    private (int Ts, int Nodes, int Ctrns, int Pins) ReleaseProcess(int slot)
    {
        int pins = 0;
        for (int ts = RootTs; ts < I32(L.HNextTs); ts++)
        {
            long rec = TsRec(ts);
            if (I32(rec + L.TOwnerProc) == slot && I32(rec + L.TState) == TsLive)
            {
                Set32(rec + L.TState, TsLifting);
            }
        }

        Commit();

        // Also finishes any other half-done lift it meets: counted here, as this reap exits them.
        var report = FinishLifts(out int lifted);
        Hook("reap");
        for (uint id = 1; id < _layout.MaxPins; id++)
        {
            long pin = PinRec(id);
            if (I32(pin + L.QState) == 1 && I32(pin + L.QOwnerProc) == slot)
            {
                ReleasePin(id);
                Commit();
                pins++;
            }
        }

        Set32(_layout.Proc(slot) + L.PState, 0);
        Commit();
        return (lifted, report.NodesRevoked, report.CtrnsRevoked, pins);
    }
}
