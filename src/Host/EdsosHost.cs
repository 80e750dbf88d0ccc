using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Akka.DependencyInjection;
using Edsos.Scheduler;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Edsos.SocketService;

namespace Edsos.Host;

/// <summary>
/// One EDSOS host: an arena and an actor system, with the NIC driver, the inet stack, the socket
/// table and the user processes started on it, wired the way DESIGN.md section 5 describes. Two hosts
/// joined by a wire make the demo.
/// </summary>
public sealed class EdsosHost : IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);

    // With large frames: one page per RX buffer (a 64 KiB frame takes 17), and a ring that holds many such frames.
    private const int LargeFrameRxBuffer = 4096;
    private const int LargeFrameRxRing = 1024;
    private const int LargeFrameRxBlock = 32;

    // Consumed RX blocks kept for reuse (NicOptions.RxSpareBlocks): the ring's first blocks, pushed into a fresh arena,
    // are contiguous, and reused they keep a 64 KiB frame to one DMA run and one or two extents. With one buffer per
    // block (standard frames) a reused buffer saves the push, pin, unpin and pop of a fresh one per frame.
    private const int LargeFrameRxSpares = 8;
    private const int RxSpares = 16;
    private readonly List<Libc> _processes = [];
    private bool _stopped;

    private EdsosHost(EdsosHostOptions options, ActorSystem system, NicHandle nic, InetStackHandle inet, IActorRef sockets)
    {
        Options = options;
        System = system;
        Nic = nic;
        Inet = inet;
        Sockets = sockets;
    }

    /// <summary>The options the host was built with.</summary>
    public EdsosHostOptions Options { get; }

    /// <summary>The host's runtime.</summary>
    public ActorSystem System { get; }

    /// <summary>The host's memory model (one arena per host).</summary>
    public MemoryManager Memory => System.Memory;

    /// <summary>The NIC driver and device.</summary>
    public NicHandle Nic { get; }

    /// <summary>The inet stack's actors.</summary>
    public InetStackHandle Inet { get; }

    /// <summary>The socket table (<c>/net/sockets</c>).</summary>
    public IActorRef Sockets { get; }

    /// <summary>
    /// Builds a host on <paramref name="wire"/>: arena, runtime, NIC (rings programmed, RX buffers
    /// posted; TSO as <see cref="EdsosHostOptions.Tso"/> says, for the NIC and the stack alike), inet stack
    /// (ARP announcement sent), socket table. Throws when a part fails to start.
    /// </summary>
    public static async Task<EdsosHost> StartAsync(EdsosHostOptions options, IWire wire)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(wire);
        var memory = new MemoryManager(new NativeArenaBacking(options.ArenaPages));

        // The host's container: what its actors may be built with through Akka.DependencyInjection.
        var services = new ServiceCollection()
            .AddSingleton(memory)
            .AddSingleton(options)
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .BuildServiceProvider();
        var system = Edsrt.Create(options.SystemName ?? options.Name, new EdsrtOptions
        {
            ExtraConfig = options.AkkaConfig,
            Memory = memory,
            Services = services,
            LoggerFactory = services.GetRequiredService<ILoggerFactory>(),
            DispatcherThreads = options.Workers,
            Dispatcher = options.Dispatcher,
        });
        system.RegisterOnTermination(services.Dispose);
        try
        {
            var nicOptions = options.LargeFrames
                ? new NicOptions { Name = "eth0", Tso = options.Tso, LargeFrames = true, MaxFrameLength = Driver.Device.VirtualNicOptions.MaxLargeFrameLength, RxBufferSize = LargeFrameRxBuffer, RxRingSize = LargeFrameRxRing, RxBuffersPerBlock = LargeFrameRxBlock, RxSpareBlocks = LargeFrameRxSpares }
                : new NicOptions { Name = "eth0", Tso = options.Tso, RxSpareBlocks = RxSpares };
            var nic = await NicDriver.StartAsync(system, nicOptions, wire).ConfigureAwait(false);

            // TCP's window never promises more than the NIC's posted RX buffers can take at once.
            var tcp = options.Tcp.NicReceiveBuffers == 0 ? options.Tcp with { NicReceiveBuffers = nicOptions.RxRingSize - 1 } : options.Tcp;
            var inet = InetStack.Start(
                system,
                new InetStackOptions { Mac = options.Mac, Address = options.Address, Mtu = options.Mtu, Tso = options.Tso, ProbeGatewayOnStart = false, Tcp = tcp, Batching = options.Batching && Environment.GetEnvironmentVariable("EDSOS_BATCHING") != "0" },
                nic.TxWorker,
                nic.RxWorker,
                nic.DriverTs);
            var tableOptions = new SocketTableOptions { Family = inet.Family, Mode = options.Mode };
            system.Edsrt.EnsureTs(tableOptions.TsPath);
            var sockets = system.ActorOf(
                DependencyResolver.For(system).Props<SocketTable>(tableOptions).WithTs(tableOptions.TsPath),
                "sockets");
            return new EdsosHost(options, system, nic, inet, sockets);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Starts a user process <c>/user_proc/{name}</c> with its KPN; returns its libc.</summary>
    public Libc StartProcess(string name)
    {
        var libc = UserProcess.Start(System, name, Sockets, Inet.Icmp, Options.Mode);
        _processes.Add(libc);
        return libc;
    }

    /// <summary>
    /// Closes everything in order (processes exit, the NIC stops and completes what it holds, the stack
    /// releases what it holds), so <see cref="MemoryManager.GetLeakReport()"/> afterwards names only
    /// what truly leaked. The runtime keeps running until <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                await process.ExitAsync().ConfigureAwait(false);
            }
        }

        System.Stop(Sockets);
        await NicDriver.StopAsync(System, Nic, s_stopTimeout).ConfigureAwait(false);
        await InetStack.StopAsync(System, Inet, s_stopTimeout).ConfigureAwait(false);
    }

    /// <summary>Stops the host if needed, terminates its runtime and frees its arena.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await System.Terminate().ConfigureAwait(false);
            Memory.Dispose();
        }
    }
}
