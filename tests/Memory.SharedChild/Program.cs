using Edsos.Memory;
using Edsos.Memory.Shared;
using Edsos.Memory.SharedChild;

// Modes (every line it prints is a protocol line the test reads):
//   churn PATH SEED SHARE_TS [HOLD_POINT]  random push / write / ct_share to SHARE_TS / pin / unpin / divide / merge /
//                                          grant to a second TS of its own / pop / lift / reap forever; with HOLD_POINT,
//                                          after a random number of operations it stops inside that operation (lock held,
//                                          update half made), prints HOLDING and sleeps; with "slow" it lingers a random
//                                          while inside a third of its operations. Points: push, ctshare, pop, pin, unpin,
//                                          divide, merge, grant, cow (a write's page copy), publish (a new node indexed and counted, uncommitted),
//                                          endnode (a node out of the index and counts, its record still live), lift, longlift (a lift of a TS with 12 nodes, after 8 of
//                                          them are revoked and committed), reap (after lifting a dead process's TSs,
//                                          before releasing its pins and record).
//   indexctrns PATH                        ct_shares 3 CTRNs into a second TS of its own, then translates a GVA there: the
//                                          first translate of that TS indexes its CTRNs; stops inside it after 2 of them
//                                          (switch set, index half made): prints HOLDING indexctrns and sleeps.
//   bench PATH CYCLES                      after a line on stdin, CYCLES push + ct_share + pop + pop cycles; prints NSOP.
//   liftother PATH TS                      lifts TS (hosted by another process) and stops inside the lift after 8 nodes
//                                          are revoked and committed: prints HOLDING longlift and sleeps.
//   visit PATH                             pushes and writes a node, then visits it; inside the visitor (outside the lock,
//                                          under a temporary pin) prints HOLDING visit and sleeps.
//   mint PATH TARGET_TS                    pushes and writes a node, ct_shares part of it to TARGET_TS, prints both
//                                          capabilities and physical addresses, pops its own node, waits for a line on stdin.
//   managermint PATH TARGET_PATH           through MemoryManager.OpenShared: creates /user_proc/app, pushes and writes a
//                                          6000-byte node, ct_shares all of it to the TS at TARGET_PATH (another process's),
//                                          prints the CTRN and the physical address of its first byte, waits for a line.
Console.Out.Flush();
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
string mode = args[0];
if (mode == "managermint")
{
    using var memory = MemoryManager.OpenShared(args[1], ChildGeometry.ManagerOptions);
    var app = memory.CreateTs("/user_proc/app").Unwrap();
    var target = memory.FindTs(args[2]).Unwrap();
    var buffer = memory.Push(app, "buf", 6000).Unwrap();
    var written = new byte[6000];
    for (int i = 0; i < written.Length; i++)
    {
        written[i] = (byte)(i * 13);
    }

    memory.Write(app, buffer, 0, written, CopyKind.Application).ThrowIfFailed();
    var gva = memory.Locate(app, buffer).Unwrap().Gva;
    var shared = memory.CtShare(app, buffer, gva, written.Length, target, "tx", Rights.Read | Rights.Map).Unwrap();
    output.WriteLine($"CTRN {Format(shared)} {memory.Inspect(app, buffer).Unwrap().Extents[0].Address}");
    Console.ReadLine();
    memory.Release(app, buffer).ThrowIfFailed();
    return 0;
}

using var arena = SharedArena.Open(args[1], ChildGeometry.Options);
if (mode == "mint")
{
    var ts = arena.CreateTs(TsKind.User).Unwrap();
    var target = new TsId(ushort.Parse(args[2]));
    var own = arena.Push(ts, 10_000).Unwrap();
    var payload = new byte[10_000];
    for (int i = 0; i < payload.Length; i++)
    {
        payload[i] = (byte)(i * 7);
    }

    arena.Write(ts, own, 0, payload).ThrowIfFailed();
    var ctrn = arena.CtShare(ts, own, 100, 8_000, target, Rights.Read | Rights.Map).Unwrap();
    long phys = arena.PhysicalAddress(ts, own, 100).Unwrap();
    output.WriteLine($"CTRN {Format(ctrn)} {phys}");
    output.WriteLine($"OWN {Format(own)}");
    arena.Pop(ts, own).ThrowIfFailed();
    output.WriteLine("POPPED");
    Console.ReadLine();
    return 0;
}

if (mode == "visit")
{
    var ts = arena.CreateTs(TsKind.User).Unwrap();
    var node = arena.Push(ts, "visited", 3 * arena.PageSize).Unwrap();
    arena.Write(ts, node, 0, new byte[3 * arena.PageSize]).ThrowIfFailed();
    int unused = 0;
    arena.Visit(ts, node, 0, 3 * arena.PageSize, ref unused, (ref int _, ReadOnlySpan<byte> _) =>
    {
        output.WriteLine("HOLDING visit");
        Thread.Sleep(Timeout.Infinite);
    });
    return 1;
}

if (mode == "indexctrns")
{
    var own = arena.CreateTs(TsKind.User).Unwrap();
    var holder = arena.CreateTs(TsKind.User).Unwrap();
    var buffer = arena.Push(own, "buf", 3 * arena.PageSize).Unwrap();
    Capability last = default;
    for (int i = 0; i < 3; i++)
    {
        last = arena.CtShare(own, buffer, i * arena.PageSize, arena.PageSize, holder, Rights.Read).Unwrap();
    }

    var gva = arena.Locate(holder, last).Unwrap().Gva;
    SharedArena.TestHook = point =>
    {
        if (point == "indexctrns")
        {
            output.WriteLine($"HOLDING {point}");
            Thread.Sleep(Timeout.Infinite);
        }
    };
    arena.Translate(holder, gva, 1, Rights.Read);
    return 1;
}

if (mode == "liftother")
{
    SharedArena.TestHook = point =>
    {
        if (point == "longlift")
        {
            output.WriteLine($"HOLDING {point}");
            Thread.Sleep(Timeout.Infinite);
        }
    };
    arena.Lift(new TsId(ushort.Parse(args[2])));
    return 1;
}

if (mode == "bench")
{
    // The same cycle as the in-process benchmark, to run beside another process doing it too.
    var app = arena.CreateTs(TsKind.User).Unwrap();
    var net = arena.CreateTs(TsKind.Kernel).Unwrap();
    int cycles = int.Parse(args[2]);
    output.WriteLine("READY");
    Console.ReadLine();
    var clock = System.Diagnostics.Stopwatch.StartNew();
    for (int i = 0; i < cycles; i++)
    {
        var buffer = arena.Push(app, 4096).Unwrap();
        var ctrn = arena.CtShare(app, buffer, 0, 4096, net, Rights.Read | Rights.Map).Unwrap();
        arena.Pop(app, buffer).ThrowIfFailed();
        arena.Pop(net, ctrn).ThrowIfFailed();
    }

    output.WriteLine($"NSOP {clock.Elapsed.TotalNanoseconds / cycles:F0}");
    return 0;
}

// Orphaned (the test process died): stdin reaches end of file; a churning child must not outlive its test.
new Thread(() =>
{
    Console.In.ReadToEnd();
    Environment.Exit(3);
}) { IsBackground = true }.Start();

var random = new Random(int.Parse(args[2]));
var shareTs = new TsId(ushort.Parse(args[3]));
string? holdPoint = args.Length > 4 ? args[4] : null;

// A lift needs a scratch TS and TS ids are never reused, so a child lifts at most a few times;
// a child told to stop inside a lift stops in its first.
int armAfter = holdPoint is "lift" or "longlift" ? 0 : random.Next(5, 60);
int operations = 0;
int scratchLifts = 0;

// CTRNs shared into SHARE_TS are popped by its process only when it reads them: bound them, so
// one long-lived child cannot fill the node table.
int sharesLeft = 150;
if (holdPoint == "slow")
{
    // Random instants land inside operations too: linger a random while, lock held, update half made.
    SharedArena.TestHook = _ =>
    {
        if (random.Next(3) == 0)
        {
            Thread.SpinWait(random.Next(50_000));
        }
    };
}
else if (holdPoint is not null)
{
    SharedArena.TestHook = point =>
    {
        if (point == holdPoint && operations >= armAfter)
        {
            output.WriteLine($"HOLDING {point}");
            Thread.Sleep(Timeout.Infinite);
        }
    };
}

var me = arena.CreateTs(TsKind.User).Unwrap();
var receiver = arena.CreateTs(TsKind.User).Unwrap();
output.WriteLine($"READY {Environment.ProcessId} {me.Value}");
var nodes = new List<Capability>();
var granted = new List<Capability>();
var pins = new List<SharedPin>();
var bytes = new byte[64];
while (true)
{
    operations++;
    int dice = random.Next(100);
    if (dice < 25 || nodes.Count == 0)
    {
        var pushed = arena.Push(me, "churn", random.Next(1, 5 * arena.PageSize));
        if (pushed.IsOk)
        {
            nodes.Add(pushed.Value);
            random.NextBytes(bytes);
            arena.Write(me, pushed.Value, 0, bytes.AsSpan(0, Math.Min(bytes.Length, arena.Check(me, pushed.Value, Rights.Write).Unwrap()))).ThrowIfFailed();
        }
        else if (nodes.Count > 0)
        {
            Pop(random.Next(nodes.Count));
        }
    }
    else if (dice < 33 && sharesLeft > 0)
    {
        sharesLeft--;
        var source = nodes[random.Next(nodes.Count)];
        int length = arena.Check(me, source, Rights.Share).Unwrap();
        int offset = random.Next(length);
        var shared = arena.CtShare(me, source, offset, random.Next(1, length - offset + 1), shareTs, Rights.Read | Rights.Map);
        if (shared.IsOk)
        {
            output.WriteLine($"SHARED {Format(shared.Value)}");
        }
    }
    else if (dice < 43 && pins.Count < 8)
    {
        var pinned = arena.Pin(me, nodes[random.Next(nodes.Count)]);
        if (pinned.IsOk)
        {
            pins.Add(pinned.Value);
        }
    }
    else if (dice < 50 && pins.Count > 0)
    {
        int at = random.Next(pins.Count);
        arena.Unpin(pins[at]).ThrowIfFailed();
        pins.RemoveAt(at);
    }
    else if (dice < 58)
    {
        int at = random.Next(nodes.Count);
        int length = arena.Check(me, nodes[at], Rights.None).Unwrap();
        if (length > 1)
        {
            var (head, tail) = arena.Divide(me, nodes[at], random.Next(1, length)).Unwrap();
            nodes[at] = head;
            nodes.Add(tail);
        }
    }
    else if (dice < 64 && nodes.Count > 1)
    {
        int a = random.Next(nodes.Count);
        int b = (a + 1 + random.Next(nodes.Count - 1)) % nodes.Count;
        var merged = arena.Merge(me, nodes[a], nodes[b], "merged");
        if (merged.IsOk)
        {
            nodes.RemoveAt(Math.Max(a, b));
            nodes.RemoveAt(Math.Min(a, b));
            nodes.Add(merged.Value);
        }
    }
    else if (dice < 66)
    {
        // A write over a node that may share pages (with a CTRN, or the other half of a divide): copy-on-write.
        var node = nodes[random.Next(nodes.Count)];
        int length = arena.Check(me, node, Rights.Write).Unwrap();
        int offset = random.Next(length);
        arena.Write(me, node, offset, new byte[Math.Min(length - offset, random.Next(1, 3 * arena.PageSize))]).ThrowIfFailed();
    }
    else if (dice < 69)
    {
        int at = random.Next(nodes.Count);
        granted.Add(arena.Grant(me, nodes[at], receiver, "granted", Rights.All).Unwrap());
        nodes.RemoveAt(at);
        if (granted.Count > 4)
        {
            arena.Pop(receiver, granted[0]).ThrowIfFailed();
            granted.RemoveAt(0);
        }
    }
    else if (dice < 85 || nodes.Count > 24)
    {
        Pop(random.Next(nodes.Count));
    }
    else if (dice < 89 && scratchLifts < 3)
    {
        scratchLifts++;
        // A short-lived TS with a dozen nodes, then its exit: a lift this process makes itself.
        var scratch = arena.CreateTs(TsKind.User);
        if (scratch.IsOk)
        {
            for (int i = 0; i < 12; i++)
            {
                arena.Push(scratch.Value, "scratch", random.Next(1, 3 * arena.PageSize));
            }

            arena.ExitTs(scratch.Value).Unwrap();
        }
    }
    else
    {
        // Every survivor helps: whoever notices a dead process first lifts its TSs.
        arena.ReapDeadProcesses();
    }
}

void Pop(int index)
{
    arena.Pop(me, nodes[index]).ThrowIfFailed();
    nodes.RemoveAt(index);
}

static string Format(Capability cap) => $"{cap.NodeId} {cap.Generation} {(int)cap.Rights} {cap.Tag}";
