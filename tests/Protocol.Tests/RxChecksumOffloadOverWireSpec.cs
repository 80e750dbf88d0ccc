using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Edsos.Testing;

namespace Edsos.Protocol.Tests;

/// <summary>
/// Two stacks on two NICs over a wire that corrupts the first UDP frame it carries: with the NIC's receive checksum
/// offload on or off, the corrupted datagram is dropped and counted and the next one arrives; with it on, the good one
/// was verified by the NIC and not summed again by the stack.
/// </summary>
public sealed class RxChecksumOffloadOverWireSpec : EdsrtTestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly Ipv4Address AddressB = Ipv4Address.Parse("10.0.0.2");

    public RxChecksumOffloadOverWireSpec()
        : base(new EdsrtTestKitOptions { DefaultTimeout = Wait, ConfigureSystem = system => system.PrivateMemoryPages = 4096 })
    {
    }

    private MemoryManager Memory => Sys.Memory;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CorruptedUdpFrame_DroppedAndCountedWithOffloadOnAndOff(bool offload)
    {
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var nicA = await NicDriver.StartAsync(Sys, new NicOptions { Name = "nic-a", RxChecksumOffload = offload }, new CorruptFirstUdpWire(wireA), Wait);
        var nicB = await NicDriver.StartAsync(Sys, new NicOptions { Name = "nic-b", RxChecksumOffload = offload }, wireB, Wait);
        var stackA = InetStack.Start(Sys, Options("02:00:00:00:0a:01", "10.0.0.1/24", "a"), nicA.TxWorker, nicA.RxWorker, nicA.DriverTs);
        var stackB = InetStack.Start(Sys, Options("02:00:00:00:0b:02", "10.0.0.2/24", "b"), nicB.TxWorker, nicB.RxWorker, nicB.DriverTs);
        var socketA = CreateTestProbe("socket-a");
        var socketB = CreateTestProbe("socket-b");
        var socketTsB = Memory.CreateTs("/net/sockets/b_1").Unwrap();
        var userTs = Memory.CreateTs("/user_proc/client").Unwrap();
        stackB.Family.Tell(new InetProtocol.BindRequest((int)IpProtocol.Udp, new Ipv4Endpoint(Ipv4Address.Any, 7), socketB.Ref, socketTsB), socketB.Ref);
        Assert.Equal(Errno.None, socketB.ExpectMsg<InetProtocol.BindReply>().Error);

        var buffers = new List<Capability>();
        for (int i = 1; i <= 2; i++)
        {
            var data = TestFrames.Pattern(700, seed: (byte)i);
            var buffer = Memory.Push(userTs, "buf", data.Length).Unwrap();
            buffers.Add(buffer);
            Memory.Write(userTs, buffer, 0, data, CopyKind.Payload).ThrowIfFailed();
            var info = Memory.Inspect(userTs, buffer).Unwrap();
            var shared = Memory.CtShare(userTs, buffer, info.Gva, data.Length, stackA.TxTs, $"send_q/{i}", Rights.Read | Rights.Share | Rights.Map).Unwrap();
            stackA.UdpTx.Tell(new InetProtocol.XmitRequest((ulong)i, shared, data.Length, new Ipv4Endpoint(Ipv4Address.Any, 5000), new Ipv4Endpoint(AddressB, 7), socketA.Ref));
            Assert.Equal(Errno.None, socketA.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        }

        var received = socketB.ExpectMsg<InetProtocol.DatagramReceivedEvent>();
        var bytes = new byte[received.Length];
        Memory.Read(socketTsB, received.Payload, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
        Memory.Pop(socketTsB, received.Payload).ThrowIfFailed();
        Assert.Equal(TestFrames.Pattern(700, seed: 2), bytes);
        socketB.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var rx = (await stackB.GetStatisticsAsync()).Rx;
        Assert.Equal((1L, 1L, offload ? 1L : 0L), (rx.BadUdpChecksum, rx.UdpDelivered, rx.ChecksumOffloaded));

        await NicDriver.StopAsync(Sys, nicA, Wait);
        await NicDriver.StopAsync(Sys, nicB, Wait);
        await InetStack.StopAsync(Sys, stackA, Wait);
        await InetStack.StopAsync(Sys, stackB, Wait);
        foreach (var buffer in buffers)
        {
            Memory.Pop(userTs, buffer).ThrowIfFailed();
        }

        var report = Memory.GetLeakReport();
        Assert.True(report.IsClean, report.ToString());
    }

    private static InetStackOptions Options(string mac, string cidr, string name) => TwoStacksOverLoopbackWireSpec.Options(mac, cidr, name);

    /// <summary>A wire end that flips one payload bit of the first IPv4/UDP frame it carries, and passes everything else on.</summary>
    private sealed class CorruptFirstUdpWire(IWire inner) : IWire
    {
        private int _corrupted;

        public string Name => "corrupt:" + inner.Name;

        public void Transmit(ReadOnlySpan<byte> frame)
        {
            bool udp = frame.Length > 42 && frame[12] == 0x08 && frame[13] == 0x00 && frame[14 + 9] == (byte)IpProtocol.Udp;
            if (udp && Interlocked.Exchange(ref _corrupted, 1) == 0)
            {
                var copy = frame.ToArray();
                copy[^2] ^= 0x04;
                inner.Transmit(copy);
                return;
            }

            inner.Transmit(frame);
        }

        public void Attach(IWireReceiver receiver) => inner.Attach(receiver);

        public void Detach(IWireReceiver receiver) => inner.Detach(receiver);
    }
}
