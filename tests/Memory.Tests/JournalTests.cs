using Edsos.Memory;

namespace Edsos.Memory.Tests;

public sealed class JournalTests
{
    [Fact]
    public void Observe_SendChain_ReportsEachOperationInOrderWithPathsAndRefcounts()
    {
        using var memory = new MemoryManager(64);
        var user = memory.CreateTs("/user_proc/app").Unwrap();
        var socket = memory.CreateTs("/net/sockets/sock_0x0001").Unwrap();
        var records = new List<MemoryOpRecord>();
        using (memory.Observe(records.Add))
        {
            var buffer = memory.Push(user, "buf", 100).Unwrap();
            var gva = memory.Inspect(user, buffer).Unwrap().Gva;
            var ctrn = memory.CtShare(user, buffer, gva, 100, socket, "send_q/1", Rights.Read | Rights.Share | Rights.Map).Unwrap();
            var header = memory.Push(socket, "hdr", 42).Unwrap();
            var skb = memory.Merge(socket, header, ctrn, "skb").Unwrap();
            var pin = memory.Pin(socket, skb).Unwrap();
            memory.Unpin(pin.PinId).ThrowIfFailed();
            memory.Pop(socket, skb).ThrowIfFailed();
            memory.Lift(user);
        }

        // Disposed: later operations are not reported.
        memory.Push(socket, "after", 1).Unwrap();

        Assert.Equal(
            [MemoryOp.Push, MemoryOp.CtShare, MemoryOp.Push, MemoryOp.Merge, MemoryOp.Pin, MemoryOp.Unpin, MemoryOp.Pop, MemoryOp.Lift],
            records.Select(r => r.Op).ToArray());
        Assert.Equal("/user_proc/app/buf", records[0].Path);
        Assert.Equal(1, records[0].RefCount);
        Assert.Equal("/net/sockets/sock_0x0001/send_q/1", records[1].Path);
        Assert.Equal(user, records[1].Caller);
        Assert.Equal(socket, records[1].Owner);
        Assert.Equal(2, records[1].RefCount);
        Assert.Equal("/net/sockets/sock_0x0001/skb", records[3].Path);
        Assert.Equal(142, records[3].Length);
        // Popping the skb frees the header's page (its first page) and leaves the user's page to the buffer.
        Assert.Equal(0, records[6].RefCount);
        Assert.Equal(MemoryOp.Lift, records[7].Op);
        Assert.Equal("/user_proc/app", records[7].Path);
        Assert.Equal(1, records[7].Length);
    }
}

public sealed class MergeOriginsTests
{
    [Fact]
    public void Merge_PartsWithOverlappingOrigins_OriginsAreTheSortedUnion()
    {
        using var memory = new MemoryManager(64);
        var a = memory.CreateTs("/user_proc/a").Unwrap();
        var b = memory.CreateTs("/user_proc/b").Unwrap();
        var k = memory.CreateTs("/net/ipv4/tx").Unwrap();
        var fromA = Share(memory, a, k);
        var fromB = Share(memory, b, k);
        var header = memory.Push(k, "hdr", 42).Unwrap();
        var ab = memory.Merge(k, fromA, fromB, "ab").Unwrap();

        var abk = memory.Merge(k, header, ab, "abk").Unwrap();

        Assert.Equal(new[] { a, b, k }.OrderBy(t => t.Value).ToArray(), memory.Inspect(k, abk).Unwrap().Origins.ToArray());
        memory.Lift(b);
        Assert.Equal(MemoryError.InvalidGva, memory.Inspect(k, abk).Error);
    }

    private static Capability Share(MemoryManager memory, TsId from, TsId to)
    {
        var node = memory.Push(from, "buf", 10).Unwrap();
        var gva = memory.Inspect(from, node).Unwrap().Gva;
        return memory.CtShare(from, node, gva, 10, to, "c", Rights.Read | Rights.Share).Unwrap();
    }

    [Fact]
    public void Observe_CtShare_CarriesTheOwnerTsPath()
    {
        using var memory = new MemoryManager(16);
        var user = memory.CreateTs("/user_proc/app").Unwrap();
        var socket = memory.CreateTs("/net/sockets/sock_0x0001").Unwrap();
        var records = new List<MemoryOpRecord>();
        using var journal = memory.Observe(records.Add);

        var buffer = memory.Push(user, "buf", 100).Unwrap();
        var gva = memory.Inspect(user, buffer).Unwrap().Gva;
        memory.CtShare(user, buffer, gva, 100, socket, "send_q/1", Rights.Read).Unwrap();

        Assert.Equal("/user_proc/app", records[0].OwnerPath);
        Assert.Equal("/net/sockets/sock_0x0001", records[1].OwnerPath);
    }

    [Fact]
    public void ObserveCopies_ReadAndWrite_ReportKindAndBytesUntilDisposed()
    {
        using var memory = new MemoryManager(16);
        var user = memory.CreateTs("/user_proc/app").Unwrap();
        var buffer = memory.Push(user, "buf", 100).Unwrap();
        var copies = new List<CopyRecord>();
        using (memory.ObserveCopies(copies.Add))
        {
            memory.Write(user, buffer, 0, new byte[60], CopyKind.Payload).ThrowIfFailed();
            memory.Read(user, buffer, 10, new byte[20], CopyKind.Header).ThrowIfFailed();
            // A failed copy copies nothing and reports nothing.
            Assert.False(memory.Read(user, buffer, 90, new byte[20], CopyKind.Payload).IsOk);
        }

        memory.Write(user, buffer, 0, new byte[1], CopyKind.Payload).ThrowIfFailed();

        Assert.Equal([new CopyRecord(user, CopyKind.Payload, 60), new CopyRecord(user, CopyKind.Header, 20)], copies.ToArray());
    }
}
