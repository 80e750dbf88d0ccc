using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Edsos.Driver.Wires;
using Edsos.Host;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.Scheduler.Tracing;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// The <c>Edsos</c> meter on two real hosts: what the services record (sends, bytes, latency, ring and
/// qdisc occupancy) and the memory gauges, each tagged with its host. Host names are unique to this
/// spec, so measurements of specs running beside it are filtered out.
/// </summary>
public sealed class MetricsSpec
{
    private const int Datagrams = 10;
    private const int Size = 1000;

    [Theory]
    [InlineData(DataPathMode.ZeroCopy)]
    [InlineData(DataPathMode.Copy)]
    public async Task UdpSends_CountedPerHostWithLatencyOccupancyBackToZeroAndCopiesAsTheModeSays(DataPathMode mode)
    {
        string hostA = $"metrics-a-{mode}";
        string hostB = $"metrics-b-{mode}";
        var longs = new ConcurrentDictionary<(string Instrument, string Host), long>();
        var latencies = new ConcurrentDictionary<string, int>();
        var observed = new ConcurrentDictionary<(string Instrument, string Host), long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ActivitySources.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (HostOf(tags) is { } host && (host == hostA || host == hostB))
            {
                var key = (instrument.Name, host);
                if (instrument.IsObservable)
                {
                    observed[key] = value;
                }
                else
                {
                    longs.AddOrUpdate(key, value, (_, sum) => sum + value);
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "edsos.send.duration" && HostOf(tags) == hostA && value > 0)
            {
                latencies.AddOrUpdate(hostA, 1, (_, n) => n + 1);
            }
        });
        listener.Start();

        var (wireA, wireB) = LoopbackWire.CreatePair();
        await using (var a = await EdsosHost.StartAsync(Options(hostA, "10.0.0.1/24", "02:00:00:00:00:01", mode), wireA))
        await using (var b = await EdsosHost.StartAsync(Options(hostB, "10.0.0.2/24", "02:00:00:00:00:02", mode), wireB))
        {
            var sink = b.StartProcess("sink");
            int sinkFd = (int)(await sink.SocketAsync(2, SocketKind.Dgram, 0)).Value;
            Assert.True((await sink.BindAsync(sinkFd, new Ipv4Endpoint(Ipv4Address.Any, 9))).IsOk);
            var app = a.StartProcess("app");
            int fd = (int)(await app.SocketAsync(2, SocketKind.Dgram, 0)).Value;
            var buffer = app.Alloc(Size);
            var into = sink.Alloc(Size);
            for (int i = 0; i < Datagrams; i++)
            {
                var sent = await app.SendToAsync(fd, buffer.Gva, Size, new Ipv4Endpoint(Ipv4Address.Parse("10.0.0.2"), 9));
                Assert.Equal(Size, sent.Value);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                if (mode == DataPathMode.ZeroCopy)
                {
                    var granted = await sink.RecvZeroCopyAsync(sinkFd, MsgFlags.None, timeout.Token);
                    Assert.Equal(Size, granted.Length);
                    sink.Free(granted.Buffer!);
                }
                else
                {
                    var received = await sink.RecvFromAsync(sinkFd, into.Gva, Size, MsgFlags.None, timeout.Token);
                    Assert.Equal(Size, received.Value);
                }
            }

            listener.RecordObservableInstruments();
            long copiedA = observed.GetValueOrDefault(("edsos.memory.payload_bytes_copied", hostA));
            long copiedB = observed.GetValueOrDefault(("edsos.memory.payload_bytes_copied", hostB));
            Assert.True(observed.GetValueOrDefault(("edsos.memory.pages_in_use", hostA)) > 0, "no pages_in_use gauge for host A");
            app.Free(buffer);
            sink.Free(into);
            await app.CloseAsync(fd);
            await sink.CloseAsync(sinkFd);
            await a.StopAsync();
            await b.StopAsync();

            Assert.Equal(Datagrams, longs.GetValueOrDefault(("edsos.sends", hostA)));
            Assert.Equal(Datagrams * Size, longs.GetValueOrDefault(("edsos.bytes_sent", hostA)));
            Assert.Equal(0, longs.GetValueOrDefault(("edsos.sends", hostB)));
            Assert.Equal(Datagrams, latencies.GetValueOrDefault(hostA));
            Assert.True(longs.ContainsKey(("edsos.driver.tx_ring.in_use", hostA)), "the driver recorded no ring occupancy");
            Assert.Equal(0, longs[("edsos.driver.tx_ring.in_use", hostA)]);
            Assert.True(longs.ContainsKey(("edsos.qdisc.backlog", hostA)), "the qdisc recorded no backlog");
            Assert.Equal(0, longs[("edsos.qdisc.backlog", hostA)]);
            if (mode == DataPathMode.ZeroCopy)
            {
                Assert.Equal(0, copiedA + copiedB);
            }
            else
            {
                // Copy mode: each datagram copied once into an skb at sendto (A) and once out at recvfrom (B).
                Assert.Equal(Datagrams * Size, copiedA);
                Assert.Equal(Datagrams * Size, copiedB);
            }
        }
    }

    private static EdsosHostOptions Options(string name, string address, string mac, DataPathMode mode) => new()
    {
        Name = name,
        Address = Ipv4Cidr.Parse(address),
        Mac = MacAddress.Parse(mac),
        Mode = mode,
    };

    private static string? HostOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "edsos.host")
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
