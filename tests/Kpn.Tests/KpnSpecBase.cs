using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Inet;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Akka.TestKit;
using Edsos.Testing;
using Edsos.SocketService;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.Kpn.Tests;

/// <summary>
/// A real memory manager, runtime, socket table, KPN and inet family (its port table and protocol
/// table); probes in place of the receive worker (<see cref="RxWorker"/>: it confirms every binding
/// the family pushes to it, as the real one does, and records them), the transmit worker
/// (<see cref="Tx"/>) and the ICMP service.
/// </summary>
public abstract class KpnSpecBase : EdsrtTestKit
{
    protected static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(10);
    protected static readonly Ipv4Endpoint Local = new(Ipv4Address.Parse("10.0.0.1"), 5000);
    protected static readonly Ipv4Endpoint Peer = new(Ipv4Address.Parse("10.0.0.2"), 7000);

    private int _rxSeq;

    protected KpnSpecBase(DataPathMode mode = DataPathMode.ZeroCopy, int dispatcherThreads = 2, string? extraConfig = null)
        : base(new EdsrtTestKitOptions
        {
            DefaultTimeout = Long,
            ConfigureSystem = o =>
            {
                o.DispatcherThreads = dispatcherThreads;
                o.ExtraConfig = extraConfig is null ? o.ExtraConfig : $"{extraConfig}\n{o.ExtraConfig}";
            },
        })
    {
        RxWorker = CreateTestProbe("rx-worker");
        RxWorker.SetAutoPilot(new DelegateAutoPilot(static (_, message) =>
        {
            if (message is Ipv4Protocol.BindingAdded added)
            {
                added.ReplyTo.Tell(added.Reply);
            }

            return AutoPilot.KeepRunning;
        }));
        Tx = CreateTestProbe("tx");
        Icmp = CreateTestProbe("icmp");
        TxTs = Memory.CreateTs("/net/ipv4/tx").Unwrap();
        RxTs = Memory.CreateTs("/net/ipv4/rx").Unwrap();
        var options = new InetStackOptions { Address = Ipv4Cidr.Parse("10.0.0.1/24"), Mac = MacAddress.Parse("02:00:00:00:00:01") };
        RegisterProtocol[] udp = [new RegisterProtocol(SocketKind.Dgram, 17, Tx, TxTs, 65507)];
        var family = ActorOf(Props.Create(() => new InetFamily(options, RxWorker, udp)), "inet");
        Table = ActorOf(SocketTable.CreateProps(new SocketTableOptions { Family = family, Mode = mode }), "sockets");
        App = UserProcess.Start(Sys, "app", Table, Icmp, mode);
    }

    protected MemoryManager Memory => Sys.Memory;

    protected TestProbe RxWorker { get; }

    protected TestProbe Tx { get; }

    protected TestProbe Icmp { get; }

    protected TsId TxTs { get; }

    protected TsId RxTs { get; }

    protected IActorRef Table { get; }

    protected Libc App { get; }

    /// <summary>socket() + bind() to <see cref="Local"/>; returns the fd and the socket node the family bound.</summary>
    protected async Task<(int Fd, IActorRef Node, TsId Ts)> OpenBoundAsync(Libc? app = null, Ipv4Endpoint? local = null)
    {
        app ??= App;
        var fd = await app.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0).AsTask().WaitAsync(Long);
        Assert.True(fd.IsOk, fd.ToString());
        var bound = await app.BindAsync((int)fd.Value, local ?? Local).AsTask().WaitAsync(Long);
        Assert.True(bound.IsOk, bound.ToString());
        var request = RxWorker.ExpectMsg<Ipv4Protocol.BindingAdded>();
        return ((int)fd.Value, request.Socket, request.SocketTs);
    }

    protected async Task<int> OpenUnboundAsync()
    {
        var fd = await App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0).AsTask().WaitAsync(Long);
        Assert.True(fd.IsOk, fd.ToString());
        return (int)fd.Value;
    }

    protected UserBuffer Filled(int length, int seed = 1, Libc? app = null)
    {
        app ??= App;
        var buffer = app.Alloc(length);
        Assert.Equal(Errno.None, app.WriteBuffer(buffer, 0, Pattern(length, seed)));
        return buffer;
    }

    /// <summary>The transmit worker's side: take the next request, pop its CTRN, complete it.</summary>
    protected XmitRequest CompleteNextXmit(Errno error = Errno.None)
    {
        var request = Tx.ExpectMsg<XmitRequest>();
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, request.Length, error));
        return request;
    }

    /// <summary>The receive worker's side: a datagram's payload mounted in the socket's TS.</summary>
    protected void Deliver(IActorRef node, TsId socketTs, byte[] payload, Ipv4Endpoint? from = null)
    {
        var name = $"rx/{Interlocked.Increment(ref _rxSeq)}";
        var rx = Memory.Push(RxTs, name, payload.Length).Unwrap();
        Memory.Write(RxTs, rx, 0, payload, CopyKind.Metadata).ThrowIfFailed();
        var gva = Memory.Inspect(RxTs, rx).Unwrap().Gva;
        var ctrn = Memory.CtShare(RxTs, rx, gva, payload.Length, socketTs, name, Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Memory.Pop(RxTs, rx).ThrowIfFailed();
        node.Tell(new DatagramReceivedEvent(ctrn, payload.Length, from ?? Peer, Local));
    }

    protected byte[] ReadBack(UserBuffer buffer, int length, Libc? app = null)
    {
        var bytes = new byte[length];
        Assert.Equal(Errno.None, (app ?? App).ReadBuffer(buffer, 0, bytes));
        return bytes;
    }

    protected static byte[] Pattern(int length, int seed = 1)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 13 + seed);
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

    /// <summary>Waits until the socket holds a receive waiting for a datagram (the call reached it).</summary>
    protected async Task AwaitRecvWaitingAsync(IActorRef node)
    {
        await AwaitAssertAsync(async () =>
        {
            var stats = await node.Ask<SocketProtocol.SocketStats>(new SocketProtocol.GetSocketStats(0), Long);
            Assert.Equal(1, stats.ReceiveWaiters);
        });
    }

    protected static async Task<T> Within10s<T>(ValueTask<T> call) => await call.AsTask().WaitAsync(Long);

    /// <summary>
    /// Opens a datagram socket from a continuation that runs on the default dispatcher's executor, and runs
    /// <paramref name="then"/> with the result right there, in the same continuation: a reply that beats the await
    /// leaves the caller on its own thread, so it calls (closing each extra socket) until one lands there. (Awaiting
    /// a helper that returns the socket instead was flaky: the helper's own completion may hand the awaiting code to
    /// the thread pool.) <paramref name="then"/> is on the executor's thread when <see cref="ParkingExecutor.Current"/>
    /// is not null. The tries are bounded by time, not by count: under load (a CI run compiling the next project) the
    /// woken executor thread can preempt the caller before its await a hundred times in a row (seen in CI), so after
    /// every ten synchronous answers the caller sleeps a millisecond to shift its phase.
    /// </summary>
    protected async Task<T> OnExecutorWithSocketAsync<T>(Func<SysResult, Task<T>> then)
    {
        var opened = await App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0).ConfigureAwait(false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 1; ParkingExecutor.Current is null && opened.IsOk && clock.Elapsed < Long / 2; i++)
        {
            await App.CloseAsync((int)opened.Value).ConfigureAwait(false);
            if (i % 10 == 0)
            {
                Thread.Sleep(1);
            }

            opened = await App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0).ConfigureAwait(false);
        }

        return await then(opened).ConfigureAwait(false);
    }
}
