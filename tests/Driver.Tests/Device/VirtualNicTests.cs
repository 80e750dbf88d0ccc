using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Driver.Tests.Support;
using Edsos.Memory;

namespace Edsos.Driver.Tests.Device;

public sealed class VirtualNicTests : IDisposable
{
    private readonly MemoryManager _memory = new(128);
    private readonly TsId _driver;
    private readonly DescriptorRing _txRing;
    private readonly DescriptorRing _rxRing;
    private readonly VirtualNic _nic;
    private readonly CapturingWire _wire = new();

    public VirtualNicTests()
    {
        _driver = _memory.CreateTs("/drivers/net/e1000").Unwrap();
        _txRing = DescriptorRing.Create(_memory, _driver, "tx_ring", 16).Unwrap();
        _rxRing = DescriptorRing.Create(_memory, _driver, "rx_ring", 16).Unwrap();
        _nic = new VirtualNic(_memory);
        _nic.ConfigureTx(_txRing.Extents, _txRing.Count);
        _nic.ConfigureRx(_rxRing.Extents, _rxRing.Count);
        _nic.EnableInterrupts(InterruptCause.All);
    }

    public void Dispose()
    {
        _nic.Dispose();
        _memory.Dispose();
    }

    [Fact]
    public void ProcessTx_MergedHeaderAndPayload_GathersByteExactFrameByDmaOnly()
    {
        var header = Bytes.Pattern(42, 1);
        var payload = Bytes.Pattern(5000, 9);
        var (skb, pin) = PushSkb(header, payload);
        var before = _memory.Counters;

        _nic.WriteTdt(_txRing.Tail);
        var batch = _nic.ProcessTx(_wire);

        Assert.Equal(new TxBatch(pin.Extents.Count, 1, 0), batch);
        Assert.True(_wire.Frames.TryDequeue(out var frame));
        Assert.Equal([.. header, .. payload], frame);
        Assert.Equal(_txRing.Tail, _nic.Tdh);
        var after = _memory.Counters;
        Assert.Equal(0, after.CpuBytesCopied - before.CpuBytesCopied);
        Assert.Equal(header.Length + payload.Length + (16 * pin.Extents.Count), after.DmaBytesRead - before.DmaBytesRead);
        Assert.Equal(TxDescriptorStatus.Dd, _txRing.ReadTx(pin.Extents.Count - 1).Unwrap().Status);
        Assert.Equal(TxDescriptorStatus.None, _txRing.ReadTx(0).Unwrap().Status);
        Assert.Equal(InterruptCause.TxDescriptorWritten, _nic.TakeInterrupts());
        _memory.Unpin(pin.PinId).ThrowIfFailed();
        _memory.Pop(_driver, skb).ThrowIfFailed();
    }

    [Fact]
    public void ProcessTx_FramesWhoseDescriptorsWrapAroundTheRingsEnd_SentInOrderByteExact()
    {
        // Seven two-descriptor frames move TDH to slot 14: the next frame's descriptors take 14, 15, 0 and on.
        var sent = new List<byte[]>();
        for (var i = 0; i < 7; i++)
        {
            var payload = Bytes.Pattern(100, (byte)i);
            PushSkb(Bytes.Pattern(14, 1), payload);
            sent.Add([.. Bytes.Pattern(14, 1), .. payload]);
            _nic.WriteTdt(_txRing.Tail);
            _nic.ProcessTx(_wire);
            _txRing.Reclaim(2);
        }

        // One 300-byte buffer sent as three descriptors of 100 bytes each, in slots 14, 15 and 0.
        var bytes = Bytes.Pattern(300, 7);
        var buffer = _memory.Push(_driver, "frame", bytes.Length).Unwrap();
        _memory.Write(_driver, buffer, 0, bytes, CopyKind.Payload).ThrowIfFailed();
        var pin = _memory.Pin(_driver, buffer).Unwrap();
        Assert.Single(pin.Extents);
        for (var k = 0; k < 3; k++)
        {
            var command = TxCommand.Ifcs | (k == 2 ? TxCommand.Eop | TxCommand.Rs : TxCommand.None);
            _txRing.WriteTx(_txRing.Tail, LegacyTxDescriptor.ForBuffer(pin.Extents[0].Address + (ulong)(100 * k), 100, command)).ThrowIfFailed();
            _txRing.Produce(1);
        }

        Assert.Equal(14, _nic.Tdh);
        _nic.WriteTdt(_txRing.Tail);
        var batch = _nic.ProcessTx(_wire);

        Assert.Equal(new TxBatch(3, 1, 0), batch);
        Assert.Equal(1, _nic.Tdh);
        sent.Add(bytes);
        Assert.Equal(sent, _wire.Frames.ToList());
        Assert.Equal(TxDescriptorStatus.Dd, _txRing.ReadTx(0).Unwrap().Status);
    }

    [Fact]
    public void ProcessTx_EopBeyondTail_WaitsForTheNextDoorbell()
    {
        var (_, pin) = PushSkb(Bytes.Pattern(42, 1), Bytes.Pattern(100, 2));
        Assert.Equal(2, pin.Extents.Count);

        _nic.WriteTdt(1);
        var partial = _nic.ProcessTx(_wire);
        _nic.WriteTdt(2);
        var whole = _nic.ProcessTx(_wire);

        Assert.Equal(default, partial);
        Assert.Equal(new TxBatch(2, 1, 0), whole);
        Assert.Single(_wire.Frames);
    }

    [Fact]
    public void ProcessTx_TwoFramesOneDoorbell_RaisesOneInterrupt()
    {
        PushSkb(Bytes.Pattern(42, 1), Bytes.Pattern(60, 2));
        PushSkb(Bytes.Pattern(42, 3), Bytes.Pattern(60, 4));

        _nic.WriteTdt(_txRing.Tail);
        var batch = _nic.ProcessTx(_wire);

        Assert.Equal(2, batch.FramesSent);
        Assert.Equal(InterruptCause.TxDescriptorWritten, _nic.TakeInterrupts());
        Assert.Equal(InterruptCause.None, _nic.TakeInterrupts());
        Assert.Equal(1, _nic.Counters.TxInterrupts);
    }

    [Fact]
    public void ProcessTx_UnpinnedBuffer_DropsFrameMarksEcAndCountsError()
    {
        var (_, pin) = PushSkb(Bytes.Pattern(42, 1), Bytes.Pattern(60, 2));
        _memory.Unpin(pin.PinId).ThrowIfFailed();

        _nic.WriteTdt(_txRing.Tail);
        var batch = _nic.ProcessTx(_wire);

        Assert.Equal(new TxBatch(2, 0, 1), batch);
        Assert.Empty(_wire.Frames);
        Assert.Equal(1, _nic.Counters.TxErrors);
        Assert.Equal(TxDescriptorStatus.Dd | TxDescriptorStatus.Ec, _txRing.ReadTx(1).Unwrap().Status);
    }

    [Fact]
    public void Receive_NothingPosted_DropsAndCountsRxMissed()
    {
        var outcome = _nic.Receive(Bytes.Pattern(60, 1));

        Assert.Equal(RxOutcome.Missed, outcome);
        Assert.Equal(1, _nic.Counters.RxMissed);
        Assert.Equal(InterruptCause.None, _nic.TakeInterrupts());
    }

    [Fact]
    public void Receive_PostedBuffer_DmaWritesFrameLengthAndDdEop()
    {
        var (buffer, _) = PostRxBuffer();
        var frame = Bytes.Pattern(1514, 5);

        var outcome = _nic.Receive(frame);

        Assert.Equal(RxOutcome.Delivered, outcome);
        var done = _rxRing.ReadRx(0).Unwrap();
        Assert.Equal(RxDescriptorStatus.Dd | RxDescriptorStatus.Eop, done.Status);
        Assert.Equal((ushort)1514, done.Length);
        var read = new byte[1514];
        _memory.Read(_driver, buffer, 0, read, CopyKind.Payload).ThrowIfFailed();
        Assert.Equal(frame, read);
        Assert.Equal(1, _nic.Rdh);
    }

    [Fact]
    public void Receive_RxInterrupt_AutoMasksAndFiresAgainOnlyAfterUnmaskWithPendingFrames()
    {
        PostRxBuffer();
        PostRxBuffer();

        _nic.Receive(Bytes.Pattern(60, 1));
        var first = _nic.TakeInterrupts();
        _nic.Receive(Bytes.Pattern(60, 2));
        var whileMasked = _nic.TakeInterrupts();
        _nic.EnableInterrupts(InterruptCause.RxTimer);
        var afterUnmask = _nic.TakeInterrupts();

        Assert.Equal(InterruptCause.RxTimer, first);
        Assert.Equal(InterruptCause.None, whileMasked);
        Assert.Equal(InterruptCause.RxTimer, afterUnmask);
        Assert.Equal(2, _nic.Counters.RxInterrupts);
    }

    [Fact]
    public void Receive_LongerThanBuffer_DropsWithoutUsingTheDescriptor()
    {
        PostRxBuffer();

        var outcome = _nic.Receive(new byte[3000]);

        Assert.Equal(RxOutcome.TooLong, outcome);
        Assert.Equal(0, _nic.Rdh);
        Assert.Equal(1, _nic.Counters.RxErrors);
    }

    [Fact]
    public void Reset_AfterConfigure_ForgetsRingsSoNoMoreDma()
    {
        PostRxBuffer();

        _nic.Reset();

        Assert.Equal(0UL, _nic.Rdba);
        Assert.Equal(RxOutcome.Missed, _nic.Receive(new byte[60]));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nic.WriteTdt(1));
    }

    private (Capability Skb, DmaPin Pin) PushSkb(byte[] header, byte[] payload)
    {
        var head = _memory.Push(_driver, "hdr", header.Length).Unwrap();
        _memory.Write(_driver, head, 0, header, CopyKind.Header).ThrowIfFailed();
        var body = _memory.Push(_driver, "payload", payload.Length).Unwrap();
        _memory.Write(_driver, body, 0, payload, CopyKind.Payload).ThrowIfFailed();
        var skb = _memory.Merge(_driver, head, body, "skb").Unwrap();
        var pin = _memory.Pin(_driver, skb).Unwrap();
        for (var i = 0; i < pin.Extents.Count; i++)
        {
            var last = i == pin.Extents.Count - 1;
            var command = TxCommand.Ifcs | (last ? TxCommand.Eop | TxCommand.Rs : TxCommand.None);
            _txRing.WriteTx(_txRing.Tail, LegacyTxDescriptor.ForBuffer(pin.Extents[i].Address, (ushort)pin.Extents[i].Length, command)).ThrowIfFailed();
            _txRing.Produce(1);
        }

        return (skb, pin);
    }

    private (Capability Buffer, DmaPin Pin) PostRxBuffer()
    {
        var buffer = _memory.Push(_driver, "rx_buf", 2048).Unwrap();
        var pin = _memory.Pin(_driver, buffer).Unwrap();
        _rxRing.WriteRx(_rxRing.Tail, LegacyRxDescriptor.Posted(pin.Extents[0].Address)).ThrowIfFailed();
        _rxRing.Produce(1);
        _nic.WriteRdt(_rxRing.Tail);
        return (buffer, pin);
    }
}
