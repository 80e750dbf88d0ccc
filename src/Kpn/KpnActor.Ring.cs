using Edsos.Kpn.Internal;
using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using static Edsos.Kpn.KpnProtocol;

namespace Edsos.Kpn;

/// <summary>
/// The rings (seed 000's closing proposal: io_uring-style batching of CTRN operations): a process queues many sends
/// and receives in a submission ring in its own TS and signals the KPN once (<see cref="RingSubmit"/>); the KPN reads
/// the new entries with one or two memory reads, starts each exactly as the matching syscall (the same checks, the
/// same errors), hands each socket its sends in one event and its receives in another, and writes the answers into the completion ring in the
/// same TS, staged so that the answers already in its mailbox are written together and the reaper is woken once.
/// </summary>
/// <remarks>
/// Ownership is the syscalls': a send's CTRN is the socket's once shared; a zero-copy receive's node is the app's once
/// its completion entry is written. A completion that cannot be written (the ring was closed, the process's TS is
/// gone) releases the node it carries, in the app's TS, on the app's behalf.
/// </remarks>
public sealed partial class KpnActor
{
    private readonly Dictionary<int, KpnRing> _rings = new();
    private readonly SocketBatcher _batcher = new();

    private void RingCalls()
    {
        Receive<RingSetup>(OnRingSetup);
        Receive<RingSubmit>(OnRingSubmit);
        Receive<RingFlush>(OnRingFlush);
        Receive<RingClose>(OnRingClose);
    }

    private void OnRingSetup(RingSetup setup)
    {
        var shared = setup.Shared;
        var sq = _memory.Translate(_userTs, setup.Sq, shared.SqEntries * RingLayout.SqeSize, Rights.Read);
        var cq = _memory.Translate(_userTs, setup.Cq, shared.CqEntries * RingLayout.CqeSize, Rights.Write);
        if (!sq.IsOk || !cq.IsOk || _rings.ContainsKey(shared.Id))
        {
            shared.Close();
            return;
        }

        var provider = ((ExtendedActorSystem)Context.System).Provider;
        _rings.Add(shared.Id, new KpnRing(shared, sq.Value.Node, sq.Value.Offset, cq.Value.Node, cq.Value.Offset, Self, provider, new RingFlush(shared.Id), DropCompletion));
    }

    private void OnRingSubmit(RingSubmit submit)
    {
        if (!_rings.TryGetValue(submit.RingId, out var ring) || ring.Closed)
        {
            return;
        }

        long count = submit.Tail - ring.SqConsumed;
        int entries = ring.Shared.SqEntries;
        if (count <= 0)
        {
            return;
        }

        var bytes = ring.Scratch.AsSpan(0, (int)Math.Min(count, entries) * RingLayout.SqeSize);
        if (count > entries || !AccessRing(ring.Sq, ring.SqOffset, entries, RingLayout.SqeSize, ring.SqConsumed, bytes, write: false))
        {
            // A tail past the ring's size (entries overwritten before they were read), or a ring the app freed.
            CloseRing(ring);
            return;
        }

        ring.SqConsumed = submit.Tail;
        ring.Shared.AdvanceSqHead(submit.Tail);
        for (int i = 0; i < (int)count; i++)
        {
            var entry = RingLayout.ReadSqe(bytes.Slice(i * RingLayout.SqeSize, RingLayout.SqeSize));
            var replyTo = ring.Rent(entry.UserData, entry.Op);
            switch (entry.Op)
            {
                case IoOp.Send:
                    StartSend(entry.Fd, entry.Buffer, entry.Length, entry.Destination, entry.Flags, replyTo, _batcher);
                    break;
                case IoOp.RecvZeroCopy:
                    StartRecvZeroCopy(entry.Fd, entry.Flags, 0, replyTo, _batcher);
                    break;
                case IoOp.Recv:
                    StartRecvFrom(entry.Fd, entry.Buffer, entry.Length, entry.Flags, 0, replyTo, _batcher);
                    break;
                default:
                    replyTo.Tell(SysResult.Fail(Errno.EINVAL));
                    break;
            }
        }

        _batcher.Flush(Self);
    }

    private void OnRingFlush(RingFlush flush)
    {
        if (_rings.TryGetValue(flush.RingId, out var ring))
        {
            Flush(ring);
        }
    }

    private void OnRingClose(RingClose close)
    {
        if (_rings.TryGetValue(close.RingId, out var ring))
        {
            CloseRing(ring);
        }
    }

    /// <summary>Writes the staged completions into the ring and wakes its reaper; a ring that cannot take them is closed.</summary>
    private void Flush(KpnRing ring)
    {
        var staged = ring.Staged;
        int entries = ring.Shared.CqEntries;
        while (staged.Count > 0 && !ring.Closed)
        {
            // At most one ring's worth per write: the app never has more than that outstanding.
            int n = Math.Min(staged.Count, entries);
            var bytes = ring.Scratch.AsSpan(0, n * RingLayout.CqeSize);
            for (int i = 0; i < n; i++)
            {
                RingLayout.WriteCqe(bytes.Slice(i * RingLayout.CqeSize, RingLayout.CqeSize), staged[i]);
            }

            if (!AccessRing(ring.Cq, ring.CqOffset, entries, RingLayout.CqeSize, ring.CqProduced, bytes, write: true))
            {
                CloseRing(ring);
                return;
            }

            staged.RemoveRange(0, n);
            ring.CqProduced += n;
            ring.Shared.PublishCqTail(ring.CqProduced);
        }
    }

    /// <summary>
    /// Closes a ring: what is staged is dropped (a received node released), the reaper gets EBADF, and the ring is
    /// forgotten once no operation of it is outstanding (their answers are dropped as they come).
    /// </summary>
    private void CloseRing(KpnRing ring)
    {
        ring.Closed = true;
        foreach (var entry in ring.Staged)
        {
            DropCompletion(entry);
        }

        ring.Staged.Clear();
        ring.Shared.Close();
        _rings.Remove(ring.Shared.Id);
    }

    /// <summary>The KPN stops: what is staged is still written if the ring takes it, then every ring closes.</summary>
    private void CloseRings()
    {
        foreach (var ring in _rings.Values.ToArray())
        {
            Flush(ring);
            CloseRing(ring);
        }
    }

    /// <summary>A completion nobody will reap: the node a zero-copy receive granted the app is released on its behalf.</summary>
    private void DropCompletion(CompletionEntry entry)
    {
        if (entry.Op == IoOp.RecvZeroCopy && entry.Error == Errno.None && entry.Node != default)
        {
            _memory.Release(_userTs, entry.Node);
        }
    }

    /// <summary>
    /// Reads (or writes, <paramref name="write"/>) <paramref name="bytes"/> at position <paramref name="position"/>
    /// of a ring of <paramref name="entries"/> entries of <paramref name="entrySize"/> bytes: one memory operation,
    /// two when the range wraps.
    /// </summary>
    private bool AccessRing(Capability node, int offset, int entries, int entrySize, long position, Span<byte> bytes, bool write)
    {
        int start = (int)(position % entries);
        int first = Math.Min(bytes.Length / entrySize, entries - start) * entrySize;
        int at = offset + (start * entrySize);
        var head = bytes[..first];
        var tail = bytes[first..];
        var done = write
            ? _memory.Write(_userTs, node, at, head, CopyKind.Metadata)
            : _memory.Read(_userTs, node, at, head, CopyKind.Metadata);
        if (done.IsOk && tail.Length > 0)
        {
            done = write
                ? _memory.Write(_userTs, node, offset, tail, CopyKind.Metadata)
                : _memory.Read(_userTs, node, offset, tail, CopyKind.Metadata);
        }

        return done.IsOk;
    }
}
