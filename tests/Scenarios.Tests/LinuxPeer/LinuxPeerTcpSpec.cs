using System.Net.Sockets;
using Edsos.Host.Demo;
using Edsos.Host.Peer;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.Scheduler;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>
/// TCP between our stack and the Linux kernel's, both roles: 16 MiB echoed each way with every byte checked,
/// Linux closing first and us closing first, a reset from a Linux socket with SO_LINGER 0, and a refused
/// connect. Linux's SYN carries MSS, SACK-permitted, timestamps and window scale; we answer MSS and window
/// scale and decline the other two by leaving them out (RFC 2018, RFC 7323). Each test ends with our leak
/// report empty and no connection left.
/// </summary>
[Collection(LinuxPeerCollection.Name)]
public sealed class LinuxPeerTcpSpec(ITestOutputHelper output)
{
    private const int SixteenMiB = 16 * 1024 * 1024;
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromSeconds(60);

    [LinuxPeerFact]
    public async Task Echo_LinuxClientSends16MiB_ReadsEveryByteBack()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            var service = new StreamService(peer.Host.StartProcess("echo"), Edsos.SocketService.DataPathMode.ZeroCopy, echo: true);
            Assert.Equal(Errno.None, await service.ListenAsync(new Ipv4Endpoint(Ipv4Address.Any, 7)));
            Task serving = service.RunAsync();

            using var client = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
            using var timeout = new CancellationTokenSource(s_transferTimeout);
            await client.ConnectAsync(LinuxPeerHarness.Edsos(peer, 7), timeout.Token);
            var reading = Task.Run(() => ReadPatternAsync(client, SixteenMiB, timeout.Token));
            await WritePatternAsync(client, SixteenMiB, timeout.Token);
            client.Shutdown(SocketShutdown.Send);
            long echoed = await reading;
            Assert.Equal(SixteenMiB, echoed);

            await service.CloseAsync();
            await serving;
            Assert.Equal(SixteenMiB, service.Bytes);
            Assert.Equal(Errno.None, service.LastError);
            Assert.Equal(0, peer.Host.Memory.Counters.PayloadBytesCopied);
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Echo_OurClientSends16MiBToLinuxEchoServer_ReadsEveryByteBack()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        using var server = NetnsThread.Run(peer.Namespace.Name, () => LinuxEchoServer.Start(7));
        try
        {
            var app = peer.Host.StartProcess("app");
            int fd = await LinuxPeerHarness.ConnectAsync(app, new Ipv4Endpoint(peer.LinuxAddress, 7));
            using var timeout = new CancellationTokenSource(s_transferTimeout);
            var reading = Task.Run(() => ReadPatternAsync(app, fd, SixteenMiB, timeout.Token));
            const int write = 1024 * 1024;
            byte[] pattern = new byte[write];
            for (int i = 0; i < SixteenMiB / write; i++)
            {
                var buffer = app.Alloc(write);
                StreamPattern.Fill(pattern, (long)i * write);
                app.WriteBuffer(buffer, 0, pattern);
                var sent = await app.SendAsync(fd, buffer.Gva, write, cancellationToken: timeout.Token);
                app.Free(buffer);
                Assert.True(sent.IsOk && sent.Value == write, $"send #{i}: {sent.Error}");
            }

            Assert.True((await app.ShutdownAsync(fd, 1)).IsOk);
            Assert.Equal(SixteenMiB, await reading);
            Assert.True((await app.CloseAsync(fd)).IsOk);
            Assert.Equal(0, peer.Host.Memory.Counters.PayloadBytesCopied);
            await app.ExitAsync();
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Echo_OurFramesLost2Percent_BothStacksRecoverEveryByte()
    {
        // Our data and our ACKs are lost on the way to Linux: we retransmit on Linux's duplicate ACKs (Linux,
        // told no SACK, sends plain ones) or on our timer; a lost ACK of ours is usually covered by the next
        // cumulative one, and where it is not Linux resends on its own timer (its count is printed).
        var peer = await LinuxPeerHarness.StartAsync(new TapPeerOptions { Loss = 0.02, LossSeed = 7 });
        try
        {
            var counters = await EchoTwoMiBFromLinuxAsync(peer);
            Assert.True(counters.Retransmits > 0, "nothing was retransmitted although 2 % of our frames were lost");
            var linux = peer.Namespace.Exec(TimeSpan.FromSeconds(5), "nstat", "-az", "TcpRetransSegs");
            output.WriteLine(linux.Stdout.Trim());
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Echo_LinuxFramesLost2Percent_LinuxRetransmitsWeReassembleEveryByte()
    {
        // Linux's data is lost on the way to us: we queue what arrives out of order and send duplicate ACKs,
        // Linux (NewReno without SACK, since we declined it) retransmits, and every byte comes back in order.
        var peer = await LinuxPeerHarness.StartAsync(new TapPeerOptions { InboundLoss = 0.02, LossSeed = 11 });
        try
        {
            var counters = await EchoTwoMiBFromLinuxAsync(peer);
            Assert.True(counters.OutOfOrderQueued > 0, "nothing arrived out of order although 2 % of Linux's frames were lost");
            var linux = peer.Namespace.Exec(TimeSpan.FromSeconds(5), "nstat", "-az", "TcpRetransSegs");
            output.WriteLine(linux.Stdout.Trim());
            if (linux.Ok)
            {
                Assert.Matches(@"TcpRetransSegs\s+[1-9]", linux.Stdout);
            }
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact(Tools = ["sysctl"])]
    public async Task Handshake_LinuxOffersSackTimestampsWindowScaleAndEcn_WeDeclineAllButWindowScale()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            // ECN is off by default for Linux's own connects; ask for it in the namespace (per-netns sysctl).
            Assert.True(peer.Namespace.Exec(TimeSpan.FromSeconds(5), "sysctl", "-qw", "net.ipv4.tcp_ecn=1").Ok);
            var app = peer.Host.StartProcess("server");
            int listener = await TcpSockets.ListenAsync(app, 5003);
            using var client = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
            await client.ConnectAsync(LinuxPeerHarness.Edsos(peer, 5003));
            var accepted = await app.AcceptAsync(listener);
            Assert.True(accepted.IsOk, $"accept: {accepted.Error}");

            // Linux's own view of what was agreed: window scaling both ways, no SACK, no timestamps, no ECN.
            var ss = peer.Namespace.Exec(TimeSpan.FromSeconds(5), "ss", "-tin", "dst", peer.EdsosAddress.ToString());
            output.WriteLine(ss.Stdout.Trim());
            Assert.True(ss.Ok, $"ss: {ss.FirstLine}");
            Assert.Contains("wscale:", ss.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("sack", ss.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(" ts ", ss.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("ecn", ss.Stdout, StringComparison.Ordinal);

            await client.SendAsync(TcpSockets.Pattern(100, 4), SocketFlags.None);
            Assert.Equal(TcpSockets.Pattern(100, 4), await TcpSockets.ReadExactlyAsync(app, (int)accepted.Value, 100));
            client.Close();
            Assert.True((await app.CloseAsync((int)accepted.Value)).IsOk);
            Assert.True((await app.CloseAsync(listener)).IsOk);
            await app.ExitAsync();
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Keepalive_LinuxProbesAnIdleConnection_WeAnswerAndItLives()
    {
        // RFC 1122 4.2.3.6: a keep-alive probe is a segment below RCV.NXT; the answer is an ACK. Linux gives up
        // after idle 1 s + 2 unanswered probes 1 s apart, so after 4.5 s idle the connection lives only if we answered.
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            var service = new StreamService(peer.Host.StartProcess("echo"), Edsos.SocketService.DataPathMode.ZeroCopy, echo: true);
            Assert.Equal(Errno.None, await service.ListenAsync(new Ipv4Endpoint(Ipv4Address.Any, 7)));
            Task serving = service.RunAsync();
            using var client = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
            client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 1);
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 2);
            await client.ConnectAsync(LinuxPeerHarness.Edsos(peer, 7));
            await Task.Delay(TimeSpan.FromSeconds(4.5));

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.SendAsync(TcpSockets.Pattern(500, 6), SocketFlags.None, timeout.Token);
            byte[] back = new byte[500];
            int got = 0;
            while (got < back.Length)
            {
                int n = await client.ReceiveAsync(back.AsMemory(got), SocketFlags.None, timeout.Token);
                Assert.True(n > 0, "the connection ended while idle: our side did not answer Linux's keep-alive probes");
                got += n;
            }

            Assert.Equal(TcpSockets.Pattern(500, 6), back);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await client.ReceiveAsync(back, SocketFlags.None, timeout.Token));
            await service.CloseAsync();
            await serving;
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Connect_OurClientToAClosedLinuxPort_Econnrefused()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            var app = peer.Host.StartProcess("client");
            int fd = await TcpSockets.SocketAsync(app);
            var connected = await app.ConnectAsync(fd, new Ipv4Endpoint(peer.LinuxAddress, 5999));
            Assert.Equal(Errno.ECONNREFUSED, connected.Error);
            Assert.True((await app.CloseAsync(fd)).IsOk);
            await app.ExitAsync();
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Close_LinuxClosesFirst_BothEndsSeeTheEnd()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            var app = peer.Host.StartProcess("server");
            int listener = await TcpSockets.ListenAsync(app, 5000);
            using var client = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
            await client.ConnectAsync(LinuxPeerHarness.Edsos(peer, 5000));
            var accepted = await app.AcceptAsync(listener);
            Assert.True(accepted.IsOk, $"accept: {accepted.Error}");
            int fd = (int)accepted.Value;

            await client.SendAsync(TcpSockets.Pattern(3000, 1), SocketFlags.None);
            client.Close();
            Assert.Equal(TcpSockets.Pattern(3000, 1), await TcpSockets.ReadExactlyAsync(app, fd, 3000));
            var end = await app.RecvZeroCopyAsync(fd);
            Assert.True(end.IsOk && end.Length == 0, $"after Linux's FIN we read {end.Length} bytes, {end.Error}");
            Assert.True((await app.CloseAsync(fd)).IsOk);
            Assert.True((await app.CloseAsync(listener)).IsOk);
            await app.ExitAsync();
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Close_WeCloseFirst_LinuxReadsTheEndAndClosesToo()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        using var listener = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
        try
        {
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 5001));
            listener.Listen(1);
            var app = peer.Host.StartProcess("client");
            int fd = await LinuxPeerHarness.ConnectAsync(app, new Ipv4Endpoint(peer.LinuxAddress, 5001));
            using var accepted = await listener.AcceptAsync();
            var buffer = app.Alloc(3000);
            app.WriteBuffer(buffer, 0, TcpSockets.Pattern(3000, 2));
            var sent = await app.SendAsync(fd, buffer.Gva, 3000);
            app.Free(buffer);
            Assert.True(sent.IsOk, $"send: {sent.Error}");
            Assert.True((await app.CloseAsync(fd)).IsOk);

            byte[] received = new byte[4000];
            int got = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                int n = await accepted.ReceiveAsync(received.AsMemory(got), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                got += n;
            }

            Assert.Equal(3000, got);
            Assert.Equal(TcpSockets.Pattern(3000, 2), received[..3000]);
            accepted.Close();

            // Linux answered our FIN with its own once it closed: our side goes through TIME_WAIT and the tuple is gone.
            var state = peer.Namespace.Exec(TimeSpan.FromSeconds(5), "ss", "-tan", "state", "all", "( sport = :5001 )");
            output.WriteLine(state.Stdout.Trim());
            await app.ExitAsync();
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Reset_LinuxSoLinger0_OurRecvEndsWithEconnreset()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        using var listener = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
        try
        {
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 5002));
            listener.Listen(1);
            var app = peer.Host.StartProcess("client");
            int fd = await LinuxPeerHarness.ConnectAsync(app, new Ipv4Endpoint(peer.LinuxAddress, 5002));
            var accepted = await listener.AcceptAsync();
            accepted.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            accepted.Close();

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var received = await app.RecvZeroCopyAsync(fd, cancellationToken: timeout.Token);
            Assert.Equal(Errno.ECONNRESET, received.Error);
            Assert.True((await app.CloseAsync(fd)).IsOk);
            var counters = await peer.Host.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, TimeSpan.FromSeconds(5));
            output.WriteLine(counters.ToString());
            await app.ExitAsync();
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Connect_LinuxToAClosedPort_GetsConnectionRefused()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            using var client = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var refused = await Assert.ThrowsAsync<SocketException>(async () => await client.ConnectAsync(LinuxPeerHarness.Edsos(peer, 81), timeout.Token));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    private static async Task WritePatternAsync(Socket socket, int length, CancellationToken cancellation)
    {
        byte[] chunk = new byte[256 * 1024];
        for (long offset = 0; offset < length; offset += chunk.Length)
        {
            int size = (int)Math.Min(chunk.Length, length - offset);
            StreamPattern.Fill(chunk.AsSpan(0, size), offset);
            int sent = 0;
            while (sent < size)
            {
                sent += await socket.SendAsync(chunk.AsMemory(sent, size - sent), SocketFlags.None, cancellation);
            }
        }
    }

    /// <summary>Reads a Linux socket to its end, checking the stream pattern; returns the bytes read.</summary>
    private static async Task<long> ReadPatternAsync(Socket socket, long expected, CancellationToken cancellation)
    {
        byte[] buffer = new byte[256 * 1024];
        long offset = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation);
            if (n == 0)
            {
                return offset;
            }

            var verifier = new StreamPattern.Verifier(offset);
            verifier.Check(buffer.AsSpan(0, n));
            Assert.True(verifier.FirstBad < 0, $"echoed byte at stream offset {verifier.FirstBad} is wrong");
            offset += n;
            Assert.True(offset <= expected, $"more than {expected} bytes came back");
        }
    }

    /// <summary>Reads our socket (zero copy) to its end, checking the stream pattern; returns the bytes read.</summary>
    private static async Task<long> ReadPatternAsync(Libc libc, int fd, long expected, CancellationToken cancellation)
    {
        long offset = 0;
        while (true)
        {
            var piece = await libc.RecvZeroCopyAsync(fd, cancellationToken: cancellation);
            Assert.True(piece.IsOk, $"recv at offset {offset}: {piece.Error}");
            if (piece.Length == 0)
            {
                return offset;
            }

            var verifier = new StreamPattern.Verifier(offset);
            Errno visited = libc.Visit(piece.Buffer!, 0, piece.Length, ref verifier, s_check);
            libc.Free(piece.Buffer!);
            Assert.Equal(Errno.None, visited);
            Assert.True(verifier.FirstBad < 0, $"echoed byte at stream offset {verifier.FirstBad} is wrong");
            offset += piece.Length;
            Assert.True(offset <= expected, $"more than {expected} bytes came back");
        }
    }

    private static readonly SegmentVisitor<StreamPattern.Verifier> s_check = static (ref StreamPattern.Verifier state, ReadOnlySpan<byte> segment) => state.Check(segment);

    /// <summary>A Linux client streams 2 MiB of pattern to our zero-copy echo and reads every byte back; our TCP counters after.</summary>
    private async Task<TcpCounters> EchoTwoMiBFromLinuxAsync(TapPeer peer)
    {
        var service = new StreamService(peer.Host.StartProcess("echo"), Edsos.SocketService.DataPathMode.ZeroCopy, echo: true);
        Assert.Equal(Errno.None, await service.ListenAsync(new Ipv4Endpoint(Ipv4Address.Any, 7)));
        Task serving = service.RunAsync();
        const int length = 2 * 1024 * 1024;
        using var client = LinuxPeerHarness.LinuxSocket(peer, SocketType.Stream);
        using var timeout = new CancellationTokenSource(s_transferTimeout);
        await client.ConnectAsync(LinuxPeerHarness.Edsos(peer, 7), timeout.Token);
        var reading = Task.Run(() => ReadPatternAsync(client, length, timeout.Token));
        await WritePatternAsync(client, length, timeout.Token);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(length, await reading);
        await service.CloseAsync();
        await serving;

        var counters = await peer.Host.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, TimeSpan.FromSeconds(5));
        output.WriteLine(counters.ToString());
        return counters;
    }
}
