using System.Diagnostics;
using Akka.Actor;
using Akka.Serialization;
using Edsos.Host.Cluster;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench serializer</c>: the console cluster's messages (<see cref="ClusterProtocol"/>, and one in EDSRT's
/// <see cref="Traced"/> carrier) through Akka's default JSON serializer (Newtonsoft), Hyperion and
/// <see cref="EdsosJsonSerializer"/>: round trips (serialize and deserialize) per second and bytes per message,
/// each round trip checked, the serializers interleaved over several repetitions and the best kept.
/// </summary>
public static class SerializerBench
{
    /// <summary>One serializer's figures.</summary>
    /// <param name="Name">The serializer.</param>
    /// <param name="RoundTripsPerSecond">Messages serialized and deserialized per second (best repetition).</param>
    /// <param name="BytesPerMessage">Mean serialized size over the sample.</param>
    /// <param name="RoundTripOk">Every message came back equal (same type, same fields).</param>
    public sealed record Row(string Name, double RoundTripsPerSecond, double BytesPerMessage, bool RoundTripOk);

    /// <summary>Measures <paramref name="messages"/> round trips per serializer, <paramref name="repetitions"/> times interleaved.</summary>
    public static async Task<IReadOnlyList<Row>> RunAsync(int messages, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messages, 10);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        var system = (ExtendedActorSystem)Edsrt.Create("bench", new EdsrtOptions
        {
            ExtraConfig = "akka.actor.provider = remote\nakka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }",
            DispatcherThreads = 1,
        });
        try
        {
            var probe = system.ActorOf(Props.Empty, "probe");
            var sample = Sample(probe);
            var serializers = new (string Name, Serializer Serializer)[]
            {
                ("Akka default JSON (Newtonsoft)", new NewtonSoftJsonSerializer(system)),
                ("Hyperion", new HyperionSerializer(system)),
                ("EdsosJsonSerializer (System.Text.Json, source-generated)", new EdsosJsonSerializer(system)),
            };
            var best = new double[serializers.Length];
            var rows = new Row[serializers.Length];
            for (int s = 0; s < serializers.Length; s++)
            {
                var (bytes, ok) = Check(serializers[s].Serializer, sample);
                rows[s] = new Row(serializers[s].Name, 0, bytes, ok);
                Measure(serializers[s].Serializer, sample, Math.Max(10, messages / 10)); // warm-up
            }

            for (int r = 0; r < repetitions; r++)
            {
                for (int s = 0; s < serializers.Length; s++)
                {
                    best[s] = Math.Max(best[s], Measure(serializers[s].Serializer, sample, messages));
                }
            }

            return [.. rows.Select((row, s) => row with { RoundTripsPerSecond = best[s] })];
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>The messages of one cluster run's shape: the node-ready handshake, the run, progress, results, reports.</summary>
    internal static object[] Sample(IActorRef node) =>
    [
        new ClusterProtocol.NodeReady("B", "all", 4242, "akka.tcp://edsos@127.0.0.1:40123", node),
        new ClusterProtocol.RunEcho("udp", 1000, 1024, 200, 5, true),
        new ClusterProtocol.EchoReached(200),
        new ClusterProtocol.PeerStatus(true, "B"),
        new ClusterProtocol.EchoDone(999, 0, 1, 1000, 1, 7.5, 191.6, 2676.7, 645.6, ["echo #201: lost, the peer went down"], 166.2, 200),
        new ClusterProtocol.Finish("the echo ended"),
        new ClusterProtocol.NodeReport("A", "all", 4243, 0, 151_494, 3_937_546, 1804, 0, 0, 0, 0, 0, []),
        Traced.Wrap(new ClusterProtocol.PeerStatus(false, "B"), new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded)),
    ];

    private static (double Bytes, bool Ok) Check(Serializer serializer, object[] sample)
    {
        long total = 0;
        bool ok = true;
        foreach (var message in sample)
        {
            byte[] bytes = serializer.ToBinary(message);
            total += bytes.Length;
            object back = FromBinary(serializer, bytes, message);
            ok &= Same(message, back);
        }

        return ((double)total / sample.Length, ok);
    }

    private static double Measure(Serializer serializer, object[] sample, int messages)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < messages; i++)
        {
            var message = sample[i % sample.Length];
            _ = FromBinary(serializer, serializer.ToBinary(message), message);
        }

        return messages / watch.Elapsed.TotalSeconds;
    }

    private static object FromBinary(Serializer serializer, byte[] bytes, object message) => serializer is SerializerWithStringManifest manifested
        ? manifested.FromBinary(bytes, manifested.Manifest(message))
        : serializer.FromBinary(bytes, message.GetType());

    /// <summary>Equal by value: records compare fields, but arrays compare by reference, so those are compared by their text.</summary>
    private static bool Same(object a, object b) => a.GetType() == b.GetType() && (a.Equals(b) || Describe(a) == Describe(b));

    private static string Describe(object o) => o switch
    {
        ClusterProtocol.EchoDone d => $"{d with { Errors = [] }}|{string.Join(';', d.Errors)}",
        ClusterProtocol.NodeReport r => $"{r with { Leaks = [] }}|{string.Join(';', r.Leaks)}",
        Traced t => $"{Describe(t.Message)}|{t.TraceIdHigh}|{t.TraceIdLow}|{t.SpanId}|{t.Flags}",
        _ => o.ToString() ?? string.Empty,
    };
}
