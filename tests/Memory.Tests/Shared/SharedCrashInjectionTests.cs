using Edsos.Memory.Shared;
using Xunit.Abstractions;

namespace Edsos.Memory.Tests.Shared;

/// <summary>
/// Many crash points in one process: random operations with an exception thrown at a random test
/// hook inside a random share of them (the lock held, the update half made). The exception takes
/// the same rollback a dead holder's successor runs (<c>Leave</c> → <c>RollBack</c>), and the
/// operations that commit in steps (lift, copy-on-write) stop between steps as a death would; after
/// each crash a reap finishes what must be finished and every invariant holds.
/// </summary>
[Collection("SharedArena")]
public sealed class SharedCrashInjectionTests
{
    private readonly ITestOutputHelper _output;

    public SharedCrashInjectionTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(5)]
    [InlineData(20261205)]
    public void RandomOperations_CrashAtRandomHooks_RolledBackAndInvariantsHold(int seed)
    {
        var random = new Random(seed);
        using var world = new SharedWorld();
        var a = world.Arena;
        TsId[] spaces = [world.App, world.OtherApp, world.Kpn, world.Socket, world.Protocol, world.Driver];
        string[] paths = ["/user_proc/app", "/user_proc/other", "/user_proc/sysagent/kpn", "/net/sockets/sock_0xABCD", "/net/ipv4/tx", "/drivers/net/e1000"];
        var live = new List<(TsId Owner, Capability Cap)>();
        var pins = new List<SharedPin>();
        var crashes = new Dictionary<string, int>();
        bool armed = false;
        SharedArena.TestHook = point =>
        {
            if (armed && random.Next(3) == 0)
            {
                armed = false;
                crashes[point] = crashes.GetValueOrDefault(point) + 1;
                throw new CrashException(point);
            }
        };
        try
        {
            for (int step = 0; step < 2500; step++)
            {
                armed = random.Next(4) == 0;
                try
                {
                    Step(a, random, spaces, live, pins, step);
                }
                catch (CrashException)
                {
                    // What a survivor does after a death: reap (finishes half-done lifts); then the
                    // TSs a crashed lift exited are created again, as a restarted role would.
                    a.ReapDeadProcesses();
                    for (int i = 0; i < spaces.Length; i++)
                    {
                        if (a.TryGetTs(spaces[i], out var info) && !info.Alive)
                        {
                            Assert.Equal(spaces[i], a.CreateTs(paths[i]).Unwrap());
                        }
                    }
                }

                armed = false;
                live.RemoveAll(entry => !a.Locate(entry.Owner, entry.Cap).IsOk);
                if (step % 50 == 0 || crashes.Count > 0)
                {
                    world.AssertConsistent();
                }
            }
        }
        finally
        {
            SharedArena.TestHook = null;
        }

        foreach (var ts in spaces)
        {
            a.Lift(ts);
        }

        // Pins whose unpin crashed (rolled back: still held) are let go now.
        foreach (var pin in pins)
        {
            a.Unpin(pin).ThrowIfFailed();
        }

        world.AssertConsistent();
        Assert.Equal(0, a.GetStats().LiveNodes);

        // A crash inside EndAccess leaves a temporary pin this process can no longer name: as after
        // a death, detaching releases every pin of the process. Another attachment then finds
        // every page free.
        a.Dispose();
        using (var after = SharedArena.Open(world.FilePath, SharedWorld.Options))
        {
            Assert.Empty(after.CheckInvariants());
            Assert.Equal(after.PageCount, after.GetStats().FreePages);
        }

        _output.WriteLine($"seed {seed}: {crashes.Values.Sum()} crashes inside operations: {string.Join(", ", crashes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
        Assert.True(crashes.Count >= 8, "crashes landed in too few kinds of operation");
    }

    private static void Step(SharedArena a, Random random, TsId[] spaces, List<(TsId Owner, Capability Cap)> live, List<SharedPin> pins, int step)
    {
        int op = live.Count == 0 ? 0 : random.Next(100);
        var (owner, cap) = live.Count == 0 ? default : live[random.Next(live.Count)];
        var target = spaces[random.Next(spaces.Length)];
        if (op < 22)
        {
            var ts = spaces[random.Next(spaces.Length)];
            var pushed = a.Push(ts, $"n{step}", random.Next(1, 3 * 4096));
            if (pushed.IsOk)
            {
                live.Add((ts, pushed.Value));
            }
        }
        else if (op < 34)
        {
            var at = a.Locate(owner, cap).Unwrap();
            var shared = a.CtShare(owner, cap, at.Gva, random.Next(1, at.Length + 1), target, "c", Rights.All);
            if (shared.IsOk)
            {
                live.Add((target, shared.Value));
            }
        }
        else if (op < 46)
        {
            int length = a.Locate(owner, cap).Unwrap().Length;
            if (length > 1)
            {
                var (head, tail) = a.Divide(owner, cap, random.Next(1, length)).Unwrap();
                live.Add((owner, head));
                live.Add((owner, tail));
            }
        }
        else if (op < 56)
        {
            var other = live.Find(entry => entry.Owner == owner && entry.Cap.NodeId != cap.NodeId);
            if (other.Cap != default)
            {
                var merged = a.Merge(owner, cap, other.Cap, "m");
                if (merged.IsOk)
                {
                    live.Add((owner, merged.Value));
                }
            }
        }
        else if (op < 62)
        {
            var granted = a.Grant(owner, cap, target, "g", Rights.All);
            if (granted.IsOk)
            {
                live.Add((target, granted.Value));
            }
        }
        else if (op < 70)
        {
            int length = a.Locate(owner, cap).Unwrap().Length;
            int offset = random.Next(length);
            a.Write(owner, cap, offset, new byte[random.Next(0, length - offset + 1)]);
        }
        else if (op < 74)
        {
            var pin = a.Pin(owner, cap);
            if (pin.IsOk)
            {
                pins.Add(pin.Value);
                a.Unpin(pin.Value).ThrowIfFailed();
                pins.Remove(pin.Value);
            }
        }
        else if (op < 77)
        {
            live.Add((owner, a.Revoke(owner, cap).Unwrap()));
        }
        else if (op < 97)
        {
            a.Pop(owner, cap);
        }
        else
        {
            a.Lift(spaces[random.Next(spaces.Length)]);
        }
    }

    private sealed class CrashException(string point) : Exception($"crash injected at {point}");
}
