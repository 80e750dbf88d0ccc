using Edsos.Memory;

namespace Edsos.Driver.Tests.Support;

/// <summary>
/// Stands in for the layers above the driver: an app buffer in a user TS, shared to a protocol
/// TS, merged behind a pushed header into an skb and shared into the driver's TS, the way seed
/// 000 stages 1 to 4 build it. Every intermediate node is popped, so the driver's CTRN alone
/// keeps the pages.
/// </summary>
internal sealed class SkbFactory
{
    private readonly MemoryManager _memory;

    public SkbFactory(MemoryManager memory)
    {
        _memory = memory;
        UserTs = FindOrCreate("/user_proc/app");
        ProtocolTs = FindOrCreate("/net/ipv4/tx");
        HandlerTs = FindOrCreate("/net/ipv4/rx");
    }

    public TsId UserTs { get; }

    public TsId ProtocolTs { get; }

    public TsId HandlerTs { get; }

    public Skb Build(TsId driverTs, byte[] header, byte[] payload, string name)
    {
        var user = _memory.Push(UserTs, "buf/" + name, payload.Length).Unwrap();
        _memory.Write(UserTs, user, 0, payload, CopyKind.Payload).ThrowIfFailed();
        var userInfo = _memory.Inspect(UserTs, user).Unwrap();
        var shared = _memory.CtShare(UserTs, user, userInfo.Gva, payload.Length, ProtocolTs, "send_q/" + name, Rights.All).Unwrap();
        _memory.Pop(UserTs, user).ThrowIfFailed();

        var head = _memory.Push(ProtocolTs, "hdr/" + name, header.Length).Unwrap();
        _memory.Write(ProtocolTs, head, 0, header, CopyKind.Header).ThrowIfFailed();
        var headInfo = _memory.Inspect(ProtocolTs, head).Unwrap();
        var skb = _memory.Merge(ProtocolTs, head, shared, "skb/" + name).Unwrap();
        var skbInfo = _memory.Inspect(ProtocolTs, skb).Unwrap();
        var inDriver = _memory.CtShare(ProtocolTs, skb, skbInfo.Gva, skbInfo.Length, driverTs, "tx/" + name, Rights.All).Unwrap();
        _memory.Pop(ProtocolTs, skb).ThrowIfFailed();
        return new Skb(inDriver, skbInfo.Length, headInfo.Extents, userInfo.Extents, [.. header, .. payload]);
    }

    public byte[] ReadAndPop(Capability frame, int length)
    {
        var bytes = new byte[length];
        _memory.Read(HandlerTs, frame, 0, bytes, CopyKind.Payload).ThrowIfFailed();
        _memory.Pop(HandlerTs, frame).ThrowIfFailed();
        return bytes;
    }

    private TsId FindOrCreate(string path)
    {
        var found = _memory.FindTs(path);
        return found.IsOk ? found.Value : _memory.CreateTs(path).Unwrap();
    }
}

/// <summary>An skb mounted in the driver TS, with the physical extents of its parts for zero-copy checks.</summary>
internal sealed record Skb(Capability Capability, int Length, IReadOnlyList<PhysExtent> HeaderExtents, IReadOnlyList<PhysExtent> PayloadExtents, byte[] Bytes);
