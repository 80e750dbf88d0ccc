using System.Diagnostics;
using Akka.Configuration;
using Edsos.Host.Cluster;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Tests;

/// <summary>The cluster member's configuration: the serializer bindings it names resolve, and a message round-trips through them.</summary>
public sealed class ClusterConfigTests : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        // A member that never joins: enough to load the configuration's serializers.
        _system = Edsrt.Create(ClusterConfig.SystemName, new EdsrtOptions { ExtraConfig = ClusterConfig.Build(0, ["coordinator"], null) });
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _system.Terminate();

    [Fact]
    public void Build_BindsClusterMessagesAndTracedToEdsosJsonSerializer()
    {
        var traced = Traced.Wrap(new ClusterProtocol.RunEcho("udp", 10, 64, 0, 5, false), new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded));

        Assert.IsType<EdsosJsonSerializer>(_system.Serialization.FindSerializerFor(traced));
        Assert.IsType<EdsosJsonSerializer>(_system.Serialization.FindSerializerFor(new ClusterProtocol.Finish("x")));

        var serializer = (EdsosJsonSerializer)_system.Serialization.FindSerializerFor(traced);
        var back = Assert.IsType<Traced>(serializer.FromBinary(serializer.ToBinary(traced), serializer.Manifest(traced)));
        Assert.Equal(traced.Message, back.Message);
        Assert.Equal(traced.Context.TraceId, back.Context.TraceId);
        Assert.Equal(traced.Context.SpanId, back.Context.SpanId);
    }

    [Fact]
    public void Build_FailureDetectionAndDowningAsDocumented()
    {
        var config = ConfigurationFactory.ParseString(ClusterConfig.Build(0, ["all", "host-A"], "127.0.0.1:4000"));

        Assert.Equal(TimeSpan.FromMilliseconds(250), config.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(["all", "host-A"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal(["akka.tcp://edsos@127.0.0.1:4000"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
    }
}
