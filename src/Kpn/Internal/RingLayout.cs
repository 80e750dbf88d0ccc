using System.Buffers.Binary;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;

namespace Edsos.Kpn.Internal;

/// <summary>
/// The byte layout of the rings' entries in the app's TS, little endian, as an sDDF queue header: a submission entry
/// is 32 bytes, a completion entry 64. Encoding and decoding never trust the bytes: a decoded entry is checked by the
/// KPN like any syscall's arguments (descriptor, length, TLB check of the buffer).
/// </summary>
internal static class RingLayout
{
    /// <summary>Bytes per submission entry.</summary>
    public const int SqeSize = 32;

    /// <summary>Bytes per completion entry.</summary>
    public const int CqeSize = 64;

    // Submission entry: op, flags (bit 7: a destination is given), destination port and address, fd, length, buffer
    // GVA, user data.
    private const int SqOp = 0;
    private const int SqFlags = 1;
    private const int SqPort = 2;
    private const int SqAddress = 4;
    private const int SqFd = 8;
    private const int SqLength = 12;
    private const int SqBuffer = 16;
    private const int SqUserData = 24;
    private const byte HasDestination = 0x80;

    // Completion entry: user data, result, errno, op, source endpoint, and for a zero-copy receive the granted node
    // (its capability and GVA).
    private const int CqUserData = 0;
    private const int CqResult = 8;
    private const int CqError = 16;
    private const int CqOp = 20;
    private const int CqRights = 21;
    private const int CqPort = 22;
    private const int CqAddress = 24;
    private const int CqNodeId = 28;
    private const int CqGeneration = 32;
    private const int CqGva = 40;
    private const int CqTag = 48;

    /// <summary>Writes <paramref name="entry"/> into <paramref name="bytes"/> (at least <see cref="SqeSize"/> long).</summary>
    public static void WriteSqe(Span<byte> bytes, in SubmissionEntry entry)
    {
        bytes[..SqeSize].Clear();
        bytes[SqOp] = (byte)entry.Op;
        bytes[SqFlags] = (byte)((byte)entry.Flags | (entry.Destination is null ? 0 : HasDestination));
        var destination = entry.Destination ?? default;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[SqPort..], destination.Port);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[SqAddress..], destination.Address.Value);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[SqFd..], entry.Fd);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[SqLength..], entry.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[SqBuffer..], entry.Buffer.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[SqUserData..], entry.UserData);
    }

    /// <summary>Reads a submission entry from <paramref name="bytes"/>.</summary>
    public static SubmissionEntry ReadSqe(ReadOnlySpan<byte> bytes)
    {
        Ipv4Endpoint? destination = (bytes[SqFlags] & HasDestination) != 0
            ? new Ipv4Endpoint(new Ipv4Address(BinaryPrimitives.ReadUInt32LittleEndian(bytes[SqAddress..])), BinaryPrimitives.ReadUInt16LittleEndian(bytes[SqPort..]))
            : null;
        return new SubmissionEntry(
            (IoOp)bytes[SqOp],
            BinaryPrimitives.ReadInt32LittleEndian(bytes[SqFd..]),
            new Gva(BinaryPrimitives.ReadUInt64LittleEndian(bytes[SqBuffer..])),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[SqLength..]),
            destination,
            (MsgFlags)(bytes[SqFlags] & ~HasDestination),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[SqUserData..]));
    }

    /// <summary>Writes a completion entry into <paramref name="bytes"/> (at least <see cref="CqeSize"/> long).</summary>
    public static void WriteCqe(Span<byte> bytes, in CompletionEntry entry)
    {
        bytes[..CqeSize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[CqUserData..], entry.UserData);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[CqResult..], entry.Result);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[CqError..], (int)entry.Error);
        bytes[CqOp] = (byte)entry.Op;
        bytes[CqRights] = (byte)entry.Node.Rights;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[CqPort..], entry.From.Port);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[CqAddress..], entry.From.Address.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[CqNodeId..], entry.Node.NodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[CqGeneration..], entry.Node.Generation);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[CqGva..], entry.Gva.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[CqTag..], entry.Node.Tag);
    }

    /// <summary>Reads a completion entry from <paramref name="bytes"/>.</summary>
    public static CompletionEntry ReadCqe(ReadOnlySpan<byte> bytes)
    {
        var node = new Capability(
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[CqNodeId..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[CqGeneration..]),
            (Rights)bytes[CqRights],
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[CqTag..]));
        return new CompletionEntry(
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[CqUserData..]),
            (IoOp)bytes[CqOp],
            BinaryPrimitives.ReadInt64LittleEndian(bytes[CqResult..]),
            (Errno)BinaryPrimitives.ReadInt32LittleEndian(bytes[CqError..]),
            new Ipv4Endpoint(new Ipv4Address(BinaryPrimitives.ReadUInt32LittleEndian(bytes[CqAddress..])), BinaryPrimitives.ReadUInt16LittleEndian(bytes[CqPort..])),
            node,
            new Gva(BinaryPrimitives.ReadUInt64LittleEndian(bytes[CqGva..])));
    }
}
