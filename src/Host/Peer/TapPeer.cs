using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;

namespace Edsos.Host.Peer;

/// <summary>
/// One EDSOS host whose wire is a TAP device, with the Linux kernel's own stack on the other side in a
/// network namespace this object created: the pieces <c>serve --tap</c>, <c>demo --peer linux</c>,
/// <c>bench tap</c> and the Linux-peer tests share. Start with <see cref="StartAsync"/>; end with
/// <see cref="StopAsync"/> (stops the host and reads its leak report) and <see cref="DisposeAsync"/>
/// (frees the arena, closes the TAP, deletes the namespace, in that order: a TAP still open when its
/// namespace goes would move back to the root namespace).
/// </summary>
public sealed class TapPeer : IAsyncDisposable
{
    private static int s_taps;
    private readonly TapWire _tap;
    private readonly LossyWire? _lossy;
    private readonly InboundLossyWire? _inbound;
    private readonly PcapWriter? _pcap;
    private int _disposed;

    private TapPeer(TapPeerOptions options, TapWire tap, InboundLossyWire? inbound, LossyWire? lossy, LinuxNamespace space, PcapWriter? pcap, PcapMirrorWire? mirror, EdsosHost host)
    {
        Options = options;
        _tap = tap;
        _lossy = lossy;
        _inbound = inbound;
        Namespace = space;
        _pcap = pcap;
        Mirror = mirror;
        Host = host;
    }

    /// <summary>The options the peer was set up with.</summary>
    public TapPeerOptions Options { get; }

    /// <summary>Our host, on the TAP.</summary>
    public EdsosHost Host { get; }

    /// <summary>The Linux side: the namespace holding the TAP interface and its address.</summary>
    public LinuxNamespace Namespace { get; }

    /// <summary>The TAP wire (its counters: frames each way).</summary>
    public TapWire Wire => _tap;

    /// <summary>The pcap mirror, when a capture was asked for.</summary>
    public PcapMirrorWire? Mirror { get; }

    /// <summary>Our address.</summary>
    public Ipv4Address EdsosAddress => Options.EdsosAddress.Address;

    /// <summary>Linux's address.</summary>
    public Ipv4Address LinuxAddress => Options.LinuxAddress.Address;

    /// <summary>
    /// Opens the TAP, creates the namespace, moves the interface there with Linux's address, and starts
    /// our host on the TAP. Returns the peer, or null and a one-line error (missing root or
    /// <c>/dev/net/tun</c>, bad options, a failing <c>ip</c> step) with everything undone.
    /// </summary>
    public static async Task<(TapPeer? Peer, string? Error)> StartAsync(TapPeerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? error = options.Validate() ?? TapPreflight.Check();
        if (error is not null)
        {
            return (null, error);
        }

        string netns = options.Netns ?? LinuxNamespace.UniqueName();
        var tap = TapWire.TryOpen($"edsos{Environment.ProcessId % 100000}t{Interlocked.Increment(ref s_taps)}", out error);
        if (tap is null)
        {
            return (null, error);
        }

        var space = LinuxNamespace.TryCreate(netns, tap.InterfaceName, options.LinuxAddress, out error);
        if (space is null)
        {
            tap.Dispose();
            return (null, error);
        }

        PcapWriter? pcap = null;
        PcapMirrorWire? mirror = null;
        EdsosHost host;

        // The capture sits above the losses: it shows what we sent, even what the loss then took, and what
        // reached us from Linux, not what the inbound loss took.
        InboundLossyWire? inbound = options.InboundLoss > 0 ? new InboundLossyWire(tap, new LossyWireOptions { Seed = options.LossSeed + 1, Drop = options.InboundLoss }) : null;
        IWire lower = inbound ?? (IWire)tap;
        LossyWire? lossy = options.Loss > 0 ? new LossyWire(lower, new LossyWireOptions { Seed = options.LossSeed, Drop = options.Loss }) : null;
        IWire below = lossy ?? lower;
        try
        {
            if (options.PcapPath is not null)
            {
                pcap = new PcapWriter(File.Create(options.PcapPath));
                mirror = new PcapMirrorWire(below, pcap);
            }

            host = await EdsosHost.StartAsync(
                new EdsosHostOptions
                {
                    Name = "edsos-tap",
                    Address = options.EdsosAddress,
                    Mac = options.Mac,
                    Mode = options.Mode,
                    Tso = options.Tso,
                    Tcp = options.Tcp,
                    ArenaPages = options.ArenaPages,
                    Workers = options.Workers,
                },
                mirror ?? below).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            pcap?.Dispose();
            lossy?.Dispose();
            inbound?.Dispose();
            tap.Dispose();
            space.Dispose();
            return (null, $"cannot write {options.PcapPath}: {e.Message}");
        }
        catch
        {
            pcap?.Dispose();
            lossy?.Dispose();
            inbound?.Dispose();
            tap.Dispose();
            space.Dispose();
            throw;
        }

        return (new TapPeer(options, tap, inbound, lossy, space, pcap, mirror, host), null);
    }

    /// <summary>
    /// Resolves Linux's address from our side by pinging it (ARP request from us, Linux learns us from it
    /// too); returns true once a reply came back within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> ResolveLinuxAsync(Libc libc, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(libc);
        var deadline = DateTime.UtcNow + timeout;
        ushort sequence = 1;
        while (DateTime.UtcNow < deadline)
        {
            var reply = await libc.PingAsync(LinuxAddress, sequence++, 56, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            if (reply.Error == Errno.None)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Closes our host in order (processes, NIC, stack) and returns its leak report, which must be clean.
    /// The namespace and the TAP stay until <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task<LeakReport> StopAsync()
    {
        await Host.StopAsync().ConfigureAwait(false);
        _pcap?.Flush();
        return Host.Memory.GetLeakReport();
    }

    /// <summary>Stops the host if needed, frees its arena, closes the TAP and the capture, deletes the namespace.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await Host.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _lossy?.Dispose();
            _inbound?.Dispose();
            _tap.Dispose();
            _pcap?.Dispose();
            Namespace.Dispose();
        }
    }
}
