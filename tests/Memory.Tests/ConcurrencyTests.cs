using System.Collections.Concurrent;

namespace Edsos.Memory.Tests;

public sealed class ConcurrencyTests
{
    private const int Workers = 4;
    private const int Iterations = 1500;

    /// <summary>
    /// Four workers run thousands of send chains (push, share, merge, divide, pin, pop) through
    /// short-lived user TSs and lift half of them mid-send, while a reader thread reads and
    /// visits the protocol's segments as they are revoked. Every operation must end in success or
    /// an expected error, never an exception; afterwards nothing leaks and every page's refcount
    /// matches the live nodes.
    /// </summary>
    [Fact]
    public void Operations_ConcurrentWithLifts_NoLeakAndConsistentRefcounts()
    {
        using var world = new SendPathWorld(pageCount: 1024);
        var memory = world.Memory;
        var published = new ConcurrentQueue<Capability>();
        var failures = new ConcurrentQueue<string>();
        int workersLeft = Workers;
        long readsOk = 0;
        long readsRevoked = 0;

        void Expect(bool ok, string what)
        {
            if (!ok)
            {
                failures.Enqueue(what);
            }
        }

        void Worker(int worker)
        {
            var random = new Random(worker);
            for (int i = 0; i < Iterations; i++)
            {
                var ts = memory.CreateTs($"/user_proc/w{worker}/p{i}").Unwrap();
                int length = random.Next(1, 3 * 4096);
                var buffer = memory.Push(ts, "buf", length).Unwrap();
                memory.Write(ts, buffer, 0, SendPathWorld.Pattern(length, (byte)i), CopyKind.Payload).ThrowIfFailed();
                var gva = memory.Inspect(ts, buffer).Unwrap().Gva;
                var sendQ = memory.CtShare(ts, buffer, gva, length, world.Socket, $"send_q/{worker}_{i}", Rights.All).Unwrap();
                var payload = memory.CtShare(world.Socket, sendQ, memory.Inspect(world.Socket, sendQ).Unwrap().Gva, length, world.Protocol, $"p{worker}_{i}", Rights.All).Unwrap();
                var header = memory.Push(world.Protocol, $"hdr{worker}_{i}", 54).Unwrap();
                var skb = memory.Merge(world.Protocol, header, payload, $"skb{worker}_{i}").Unwrap();
                var (head, tail) = memory.Divide(world.Protocol, skb, random.Next(1, length + 54)).Unwrap();
                published.Enqueue(head);
                published.Enqueue(tail);
                DmaPin? pin = random.Next(4) == 0 ? memory.Pin(world.Protocol, head).Unwrap() : null;

                if (random.Next(2) == 0)
                {
                    // The user process dies mid-send: everything downstream is revoked.
                    memory.Lift(ts);
                    var popped = memory.Pop(world.Protocol, tail).Error;
                    Expect(popped is MemoryError.InvalidGva or MemoryError.Stale, $"pop after lift gave {popped}");
                    popped = memory.Pop(world.Socket, sendQ).Error;
                    Expect(popped is MemoryError.InvalidGva or MemoryError.Stale, $"pop after lift gave {popped}");
                    memory.Pop(world.Protocol, head);
                }
                else
                {
                    var rest = memory.Visit(world.Protocol, tail, 0, memory.Inspect(world.Protocol, tail).Unwrap().Length, ref length, static (ref int l, ReadOnlySpan<byte> s) => l -= s.Length);
                    Expect(rest.IsOk, $"visit gave {rest}");
                    Expect(memory.Pop(world.Protocol, head).IsOk, "pop head");
                    Expect(memory.Pop(world.Protocol, tail).IsOk, "pop tail");
                    Expect(memory.Pop(world.Socket, sendQ).IsOk, "pop sendQ");
                    Expect(memory.Pop(ts, buffer).IsOk, "pop buffer");
                    memory.Lift(ts);
                }

                if (pin is not null)
                {
                    Expect(memory.Unpin(pin.PinId).IsOk, "unpin");
                }
            }

        }

        void Reader()
        {
            var buffer = new byte[256];
            while (Volatile.Read(ref workersLeft) > 0 || !published.IsEmpty)
            {
                if (!published.TryDequeue(out var cap))
                {
                    Thread.Yield();
                    continue;
                }

                var read = memory.Read(world.Protocol, cap, 0, buffer.AsSpan(0, 1), CopyKind.Header);
                int sum = 0;
                var visit = memory.Visit(world.Protocol, cap, 0, 1, ref sum, static (ref int s, ReadOnlySpan<byte> seg) => s += seg[0]);
                foreach (var result in new[] { read, visit })
                {
                    if (result.IsOk)
                    {
                        Interlocked.Increment(ref readsOk);
                    }
                    else if (result.Error is MemoryError.InvalidGva or MemoryError.Stale)
                    {
                        Interlocked.Increment(ref readsRevoked);
                    }
                    else
                    {
                        failures.Enqueue($"reader got {result}");
                    }
                }
            }
        }

        // The count drops in finally: a worker that throws must not leave the reader spinning.
        var threads = Enumerable.Range(0, Workers).Select(w => new Thread(() =>
        {
            try
            {
                Run(() => Worker(w), failures);
            }
            finally
            {
                Interlocked.Decrement(ref workersLeft);
            }
        })).ToList();
        threads.Add(new Thread(() => Run(Reader, failures)));
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures.Take(10));
        Assert.True(readsOk + readsRevoked > 0);
        var report = memory.GetLeakReport();
        Assert.True(report.IsClean, report.ToString());
        world.AssertConsistent();
    }

    [Fact]
    public void Read_RacingLiftOfSameNode_NeverFailsUnexpectedly()
    {
        using var world = new SendPathWorld(pageCount: 256);
        var memory = world.Memory;
        var failures = new ConcurrentQueue<string>();

        for (int round = 0; round < 300; round++)
        {
            var ts = memory.CreateTs($"/user_proc/r{round}").Unwrap();
            var buffer = memory.Push(ts, "buf", 8 * 4096).Unwrap();
            var ctrn = memory.CtShare(ts, buffer, memory.Inspect(ts, buffer).Unwrap().Gva, 8 * 4096, world.Socket, $"q{round}", Rights.Read).Unwrap();
            using var start = new Barrier(2);
            var reader = new Thread(() => Run(
                () =>
                {
                    start.SignalAndWait();
                    var destination = new byte[8 * 4096];
                    for (int i = 0; i < 20; i++)
                    {
                        var result = memory.Read(world.Socket, ctrn, 0, destination, CopyKind.Payload);
                        if (!result.IsOk && result.Error != MemoryError.InvalidGva)
                        {
                            failures.Enqueue(result.ToString());
                        }
                    }
                },
                failures));
            reader.Start();
            start.SignalAndWait();
            memory.Lift(ts);
            reader.Join();
        }

        Assert.Empty(failures);
        Assert.True(memory.GetLeakReport().IsClean, memory.GetLeakReport().ToString());
        world.AssertConsistent();
    }

    private static void Run(Action action, ConcurrentQueue<string> failures)
    {
        try
        {
            action();
        }
        catch (Exception exception)
        {
            failures.Enqueue(exception.ToString());
        }
    }
}
