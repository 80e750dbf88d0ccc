using Edsos.Memory.Shared;
using Xunit.Abstractions;

namespace Edsos.Memory.Tests.Shared;

/// <summary>
/// The shared arena against the in-process manager, operation by operation: a seeded random
/// sequence of push, ct_share, divide, merge, grant, restrict, revoke, pop, release, translate and
/// lift (with right and wrong callers, offsets, rights and stale capabilities) runs on both, on the
/// same TS layout, and every result must match: error values, GVAs, lengths, origins, paths, bytes,
/// lift reports, pages in use and live nodes. Step 2 swaps the manager's state for the arena's; this
/// is the evidence that their semantics already agree.
/// </summary>
[Collection("SharedArena")]
public sealed class SharedDifferentialTests
{
    private readonly ITestOutputHelper _output;

    public SharedDifferentialTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(1)]
    [InlineData(20261205)]
    [InlineData(77)]
    public void RandomOperations_SharedArenaAndMemoryManager_AgreeOnEveryResult(int seed)
    {
        var random = new Random(seed);
        using var shared = new SharedWorld();
        using var local = new SendPathWorld(pageCount: SharedWorld.Options.PageCount);
        TsId[] spaces = [local.App, local.OtherApp, local.Kpn, local.Socket, local.Protocol, local.Driver];
        Assert.Equal(spaces, new[] { shared.App, shared.OtherApp, shared.Kpn, shared.Socket, shared.Protocol, shared.Driver });
        string[] paths = ["/user_proc/app", "/user_proc/other", "/user_proc/sysagent/kpn", "/net/sockets/sock_0xABCD", "/net/ipv4/tx", "/drivers/net/e1000"];
        var live = new List<Entry>();
        var dead = new List<Entry>();
        var counts = new Dictionary<string, int>();
        var succeeded = new Dictionary<string, int>();
        int copiedOnWrite = 0;
        var a = shared.Arena;
        var m = local.Memory;

        for (int step = 0; step < 3000; step++)
        {
            string name = $"n{step}";
            int op = live.Count == 0 ? 0 : random.Next(100);
            var entry = live.Count == 0 ? default : live[random.Next(live.Count)];

            // Mostly the owner, sometimes another TS; sometimes a capability already dead.
            TsId caller = random.Next(10) == 0 ? spaces[random.Next(spaces.Length)] : entry.Owner;
            if (dead.Count > 0 && random.Next(12) == 0)
            {
                entry = dead[random.Next(dead.Count)];
            }

            var rights = (Rights)random.Next(16);
            bool ok = true;
            var target = spaces[random.Next(spaces.Length)];
            string kind;
            if (op < 20)
            {
                kind = "push";
                var ts = spaces[random.Next(spaces.Length)];
                int length = random.Next(-1, 3 * 4096);
                var all = random.Next(3) == 0 ? rights : Rights.All;
                var r1 = a.Push(ts, name, length, all);
                var r2 = m.Push(ts, name, length, all);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    if (all.HasFlag(Rights.Write))
                    {
                        var bytes = SharedWorld.Pattern(length, (byte)step);
                        a.Write(ts, r1.Value, 0, bytes).ThrowIfFailed();
                        m.Write(ts, r2.Value, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
                    }

                    live.Add(new Entry(ts, r1.Value, r2.Value));
                }
            }
            else if (op < 35)
            {
                kind = "ct_share";
                var gva1 = a.Locate(entry.Owner, entry.Shared);
                var gva2 = m.Locate(entry.Owner, entry.Local);
                Same(gva1.Error, gva2.Error, step, "locate", entry.Lifted);
                var start = gva1.IsOk ? gva1.Value.Gva : Gva.Make(caller, 0x10000);
                var gva = start.Add(random.Next(-10, 5000));
                int length = random.Next(-1, 6000);
                var r1 = a.CtShare(caller, entry.Shared, gva, length, target, name, rights);
                var r2 = m.CtShare(caller, entry.Local, gva, length, target, name, rights);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    live.Add(new Entry(target, r1.Value, r2.Value));
                }
            }
            else if (op < 47)
            {
                kind = "divide";
                int length = a.Locate(entry.Owner, entry.Shared) is { IsOk: true } at ? at.Value.Length : 100;
                int offset = random.Next(-1, length + 2);
                var r1 = a.Divide(caller, entry.Shared, offset);
                var r2 = m.Divide(caller, entry.Local, offset);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    Consume(live, dead, entry);
                    live.Add(new Entry(entry.Owner, r1.Value.Head, r2.Value.Head));
                    live.Add(new Entry(entry.Owner, r1.Value.Tail, r2.Value.Tail));
                }
            }
            else if (op < 57)
            {
                kind = "merge";
                var other = random.Next(8) == 0 ? entry : live[random.Next(live.Count)];
                var r1 = a.Merge(caller, entry.Shared, other.Shared, name);
                var r2 = m.Merge(caller, entry.Local, other.Local, name);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted || other.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    Consume(live, dead, entry);
                    Consume(live, dead, other);
                    live.Add(new Entry(caller, r1.Value, r2.Value));
                }
            }
            else if (op < 64)
            {
                kind = "grant";
                var r1 = a.Grant(caller, entry.Shared, target, name, rights);
                var r2 = m.Grant(caller, entry.Local, target, name, rights);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    Consume(live, dead, entry);
                    live.Add(new Entry(target, r1.Value, r2.Value));
                }
            }
            else if (op < 69)
            {
                kind = "restrict";
                var r1 = a.Restrict(caller, entry.Shared, rights);
                var r2 = m.Restrict(caller, entry.Local, rights);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    live.Add(new Entry(entry.Owner, r1.Value, r2.Value));
                }
            }
            else if (op < 73)
            {
                kind = "revoke";
                var r1 = a.Revoke(caller, entry.Shared);
                var r2 = m.Revoke(caller, entry.Local);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    // Every other capability to the node (restricted copies) is stale now too.
                    KillNode(live, dead, entry);
                    live.Add(new Entry(entry.Owner, r1.Value, r2.Value));
                }
            }
            else if (op < 80)
            {
                // Writes after sharing: copy-on-write must give the same pages and bytes in both.
                kind = "write";
                int length = a.Locate(entry.Owner, entry.Shared) is { IsOk: true } at ? at.Value.Length : 100;
                int offset = random.Next(-1, length + 1);
                var bytes = SharedWorld.Pattern(Math.Max(0, random.Next(0, length - offset + 2)), (byte)step);
                int pagesBefore = shared.PagesInUse;
                var r1 = a.Write(caller, entry.Shared, offset, bytes);
                var r2 = m.Write(caller, entry.Local, offset, bytes, CopyKind.Metadata);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                copiedOnWrite += shared.PagesInUse - pagesBefore;
            }
            else if (op < 90)
            {
                kind = random.Next(2) == 0 ? "pop" : "release";
                var r1 = kind == "pop" ? a.Pop(caller, entry.Shared) : a.Release(caller, entry.Shared);
                var r2 = kind == "pop" ? m.Pop(caller, entry.Local) : m.Release(caller, entry.Local);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    Consume(live, dead, entry);
                }
            }
            else if (op < 99)
            {
                kind = "translate";
                var gva = a.Locate(entry.Owner, entry.Shared) is { IsOk: true } at ? at.Value.Gva.Add(random.Next(-100, 9000)) : Gva.Make(caller, 0x10000 + (ulong)random.Next(100_000));
                int length = random.Next(0, 3000);
                var r1 = a.Translate(caller, gva, length, rights);
                var r2 = m.Translate(caller, gva, length, rights);
                Same(r1.Error, r2.Error, step, kind, entry.Lifted);
                ok = r1.IsOk;
                if (r1.IsOk)
                {
                    Assert.Equal(r2.Value.Offset, r1.Value.Offset);
                    Assert.Equal(m.Locate(caller, r2.Value.Node).Unwrap().Gva, a.Locate(caller, r1.Value.Node).Unwrap().Gva);
                }
            }
            else
            {
                kind = "lift";
                int index = random.Next(spaces.Length);
                var r1 = a.Lift(spaces[index]);
                var r2 = m.Lift(spaces[index]);
                Assert.Equal(r2, r1);
                Assert.Equal(spaces[index], a.CreateTs(paths[index]).Unwrap());
                Assert.Equal(spaces[index], m.CreateTs(paths[index]).Unwrap());

                // Right after the lift both must agree exactly on which capabilities it ended.
                for (int i = live.Count - 1; i >= 0; i--)
                {
                    var e1 = a.Locate(live[i].Owner, live[i].Shared).Error;
                    Same(e1, m.Locate(live[i].Owner, live[i].Local).Error, step, "after lift");
                    if (e1 == MemoryError.InvalidGva)
                    {
                        dead.Add(live[i] with { Lifted = true });
                        live.RemoveAt(i);
                    }
                }
            }

            counts[kind] = counts.GetValueOrDefault(kind) + 1;
            succeeded[kind] = succeeded.GetValueOrDefault(kind) + (ok ? 1 : 0);
            Assert.True(m.Counters.PagesInUse == shared.PagesInUse, $"step {step} ({kind}): pages in use {shared.PagesInUse} shared, {m.Counters.PagesInUse} local");
            Assert.True(m.Counters.LiveNodes == a.GetStats().LiveNodes, $"step {step} ({kind}): live nodes {a.GetStats().LiveNodes} shared, {m.Counters.LiveNodes} local");
            Assert.True(m.Counters.LiveCtrns == a.GetStats().LiveCtrns, $"step {step} ({kind}): live CTRNs {a.GetStats().LiveCtrns} shared, {m.Counters.LiveCtrns} local");
            if (step % 100 == 99)
            {
                CompareAll(a, m, live);
                shared.AssertConsistent();
            }
        }

        CompareAll(a, m, live);
        shared.AssertConsistent();
        _output.WriteLine($"seed {seed}, succeeded/tried: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {succeeded[c.Key]}/{c.Value}"))}; {copiedOnWrite} pages copied on write; {live.Count} capabilities live at the end");
        Assert.True(copiedOnWrite > 0, "no write met a shared page");
    }

    /// <summary>
    /// Equal errors, with one allowed difference for a capability a lift ended
    /// (<paramref name="lifted"/>): it reports InvalidGva "until the slot has been reused and lifted
    /// again, then Stale", and the two reuse slots in different orders (the manager as soon as one
    /// is free, the arena after every other free record), so either may already say Stale.
    /// </summary>
    private static void Same(MemoryError shared, MemoryError local, int step, string kind, bool lifted = false)
    {
        bool agree = shared == local || (lifted && shared is MemoryError.InvalidGva or MemoryError.Stale && local is MemoryError.InvalidGva or MemoryError.Stale);
        Assert.True(agree, $"step {step} ({kind}): shared arena {shared}, memory manager {local}");
    }

    /// <summary>Every live node: the same path, GVA, length, rights, CTRN-ness, origins and bytes in both.</summary>
    private static void CompareAll(SharedArena a, MemoryManager m, List<Entry> live)
    {
        foreach (var entry in live)
        {
            var i1 = a.Inspect(entry.Owner, entry.Shared);
            var i2 = m.Inspect(entry.Owner, entry.Local);
            Same(i1.Error, i2.Error, -1, "inspect", entry.Lifted);
            if (!i1.IsOk)
            {
                continue;
            }

            Assert.Equal((i2.Value.Path, i2.Value.Gva, i2.Value.Length, i2.Value.Rights, i2.Value.IsCtrn), (i1.Value.Path, i1.Value.Gva, i1.Value.Length, i1.Value.Rights, i1.Value.IsCtrn));
            Assert.Equal(i2.Value.Origins, i1.Value.Origins);
            if (entry.Shared.Rights.HasFlag(Rights.Read))
            {
                var b1 = new byte[i1.Value.Length];
                var b2 = new byte[i2.Value.Length];
                a.Read(entry.Owner, entry.Shared, 0, b1).ThrowIfFailed();
                m.Read(entry.Owner, entry.Local, 0, b2, CopyKind.Metadata).ThrowIfFailed();
                Assert.Equal(b2, b1);
            }
        }
    }

    /// <summary>The node behind <paramref name="entry"/> is gone: every capability to it moves to the dead list.</summary>
    private static void Consume(List<Entry> live, List<Entry> dead, Entry entry) => KillNode(live, dead, entry);

    private static void KillNode(List<Entry> live, List<Entry> dead, Entry entry)
    {
        for (int i = live.Count - 1; i >= 0; i--)
        {
            if (live[i].Shared.NodeId == entry.Shared.NodeId && live[i].Shared.Generation == entry.Shared.Generation)
            {
                dead.Add(live[i]);
                live.RemoveAt(i);
            }
        }
    }

    private readonly record struct Entry(TsId Owner, Capability Shared, Capability Local, bool Lifted = false);
}
