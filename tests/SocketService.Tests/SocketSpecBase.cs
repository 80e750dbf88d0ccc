using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Udp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Akka.TestKit;
using Edsos.Testing;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>
/// A real memory manager and runtime, probes in place of the inet family (<see cref="Family"/>)
/// and the transmit worker (<see cref="Tx"/>), a user TS whose buffers the specs share into
/// sockets, and an RX TS where received datagrams come from.
/// </summary>
public abstract class SocketSpecBase : EdsrtTestKit
{
    protected static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);
    protected static readonly Ipv4Endpoint Local = new(Ipv4Address.Parse("10.0.0.1"), 5000);
    protected static readonly Ipv4Endpoint Peer = new(Ipv4Address.Parse("10.0.0.2"), 7000);

    private int _shareSeq;
    private int _socketSeq;

    protected SocketSpecBase()
        : base(new EdsrtTestKitOptions { DefaultTimeout = TimeSpan.FromSeconds(10) })
    {
        Family = CreateTestProbe("family");
        Tx = CreateTestProbe("tx");
        TxTs = Memory.CreateTs("/net/ipv4/tx").Unwrap();
        RxTs = Memory.CreateTs("/net/ipv4/rx").Unwrap();
        UserTs = Memory.CreateTs("/user_proc/app").Unwrap();
    }

    protected MemoryManager Memory => Sys.Memory;

    protected TestProbe Family { get; }

    protected TestProbe Tx { get; }

    protected TsId TxTs { get; }

    protected TsId RxTs { get; }

    protected TsId UserTs { get; }

    /// <summary>Starts a socket in its own TS with the probes as family and transmit worker.</summary>
    protected (IActorRef Node, TsId Ts) StartSocket(DataPathMode mode = DataPathMode.ZeroCopy, int sendBuffer = SocketTableOptions.LinuxDefaultBuffer, int receiveBuffer = SocketTableOptions.LinuxDefaultBuffer, int maxPayload = UdpLimits.MaxPayload, SocketKind type = SocketKind.Dgram, bool txBatches = false)
    {
        var id = (ulong)Interlocked.Increment(ref _socketSeq);
        var path = SockNode.TsPathOf("/net/sockets", id);
        var options = new SockNodeOptions
        {
            SocketId = id,
            Family = Family,
            Protocol = type == SocketKind.Stream ? 6 : 17,
            Type = type,
            TxWorker = Tx,
            TxTs = TxTs,
            MaxPayload = maxPayload,
            TxBatches = txBatches,
            Mode = mode,
            SendBuffer = sendBuffer,
            ReceiveBuffer = receiveBuffer,
        };
        // Akka builds the actor after ActorOf returns: make its TS first, as the socket table does.
        var ts = Sys.Edsrt.EnsureTs(path);
        var node = ActorOf(SockNode.CreateProps(options, path));
        return (node, ts);
    }

    /// <summary>Starts a socket and binds it to <see cref="Local"/>.</summary>
    protected (IActorRef Node, TsId Ts) StartBoundSocket(DataPathMode mode = DataPathMode.ZeroCopy, int sendBuffer = SocketTableOptions.LinuxDefaultBuffer, int receiveBuffer = SocketTableOptions.LinuxDefaultBuffer, bool txBatches = false)
    {
        var socket = StartSocket(mode, sendBuffer, receiveBuffer, txBatches: txBatches);
        socket.Node.Tell(new BindSocket(900, Local), TestActor);
        var request = Family.ExpectMsg<BindRequest>();
        Assert.Equal(Local, request.Local);
        Family.Reply(new BindReply(Errno.None, Local));
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 900).Error);
        return socket;
    }

    /// <summary>A user buffer holding <paramref name="payload"/>, as an app fills one.</summary>
    protected Capability UserBuffer(ReadOnlySpan<byte> payload)
    {
        var buffer = Memory.Push(UserTs, $"heap/{Interlocked.Increment(ref _shareSeq)}", payload.Length).Unwrap();
        Memory.Write(UserTs, buffer, 0, payload, CopyKind.Application).ThrowIfFailed();
        return buffer;
    }

    /// <summary>What the KPN does on send: ct_share the user's buffer under the socket's send_q.</summary>
    protected Capability ShareToSocket(Capability userBuffer, TsId socketTs, int length)
    {
        var gva = Memory.Inspect(UserTs, userBuffer).Unwrap().Gva;
        return Memory.CtShare(UserTs, userBuffer, gva, length, socketTs, $"send_q/{Interlocked.Increment(ref _shareSeq)}", Rights.Read | Rights.Share | Rights.Map).Unwrap();
    }

    /// <summary>What the receive worker does: a datagram's payload mounted in the socket's TS.</summary>
    protected void Deliver(IActorRef node, TsId socketTs, ReadOnlySpan<byte> payload, Ipv4Endpoint? from = null) =>
        node.Tell(Received(socketTs, payload, from));

    /// <summary>What the layer below hands a socket for <paramref name="payload"/>: a CTRN in the socket's TS, not told yet.</summary>
    protected DatagramReceivedEvent Received(TsId socketTs, ReadOnlySpan<byte> payload, Ipv4Endpoint? from = null)
    {
        var rx = Memory.Push(RxTs, $"rx/{Interlocked.Increment(ref _shareSeq)}", payload.Length).Unwrap();
        Memory.Write(RxTs, rx, 0, payload, CopyKind.Metadata).ThrowIfFailed();
        var gva = Memory.Inspect(RxTs, rx).Unwrap().Gva;
        var ctrn = Memory.CtShare(RxTs, rx, gva, payload.Length, socketTs, $"rx_q/{_shareSeq}", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Memory.Pop(RxTs, rx).ThrowIfFailed();
        return new DatagramReceivedEvent(ctrn, payload.Length, from ?? Peer, Local);
    }

    /// <summary>The transmit worker's side: take the next request, check its CTRN is in the TX TS, pop it, complete it.</summary>
    protected XmitRequest CompleteNextXmit(Errno error = Errno.None)
    {
        var request = Tx.ExpectMsg<XmitRequest>();
        var info = Memory.Inspect(TxTs, request.Payload).Unwrap();
        Assert.True(info.IsCtrn);
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, request.Length, error));
        return request;
    }

    protected byte[] ReadAll(TsId caller, Capability node, int length)
    {
        var bytes = new byte[length];
        Memory.Read(caller, node, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
        return bytes;
    }

    protected static byte[] Pattern(int length, int seed = 1)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31 + seed);
        }

        return bytes;
    }

    protected void AssertNoLeaks()
    {
        AwaitAssert(() =>
        {
            var report = Memory.GetLeakReport();
            Assert.True(report.IsClean, report.ToString());
        });
    }
}
