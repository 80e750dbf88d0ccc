using System.Diagnostics;
using System.Reflection;
using Edsos.Driver;
using Edsos.Host.Cluster;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Tests;

/// <summary>
/// Every message a console-cluster process sends another (<see cref="EdsosJsonSerializer.MessageTypes"/>) is bound to the
/// serializer by the generated configuration and survives the trip: each built with distinct non-default values in every
/// field, serialized, read back, equal, alone and inside a <see cref="Traced"/> carrier.
/// </summary>
public sealed class ClusterSerializerTests : IAsyncLifetime
{
    private ActorSystem _system = null!;
    private IActorRef _actor = null!;

    public Task InitializeAsync()
    {
        _system = Edsrt.Create(ClusterConfig.SystemName, new EdsrtOptions { ExtraConfig = ClusterConfig.Build(0, ["test"], null) });
        _actor = _system.ActorOf(Props.Empty, "someone");
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _system.Terminate();

    public static TheoryData<string> Types()
    {
        var data = new TheoryData<string>();
        foreach (var type in EdsosJsonSerializer.MessageTypes)
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    [Fact]
    public void MessageTypes_CoverTheServiceContractsThatCrossRoles()
    {
        var types = EdsosJsonSerializer.MessageTypes;
        Assert.Equal(types.Count, types.Select(t => t.Name).Distinct().Count());
        foreach (var contract in new[] { typeof(SocketService.SocketProtocol), typeof(DriverProtocol) })
        {
            foreach (var nested in contract.GetNestedTypes().Where(t => t.IsClass && t.IsSealed && t.GetMethod("<Clone>$") is not null))
            {
                Assert.Contains(nested, types);
            }
        }

        Assert.Contains(typeof(InetProtocol.PingRequest), types);
        Assert.Contains(typeof(InetProtocol.PingReply), types);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void RoundTrip_EveryRegisteredType_BoundAndEqualAloneAndTraced(string typeName)
    {
        var type = EdsosJsonSerializer.MessageTypes.Single(t => t.FullName == typeName);
        object message = Build(type);

        var serializer = Assert.IsType<EdsosJsonSerializer>(_system.Serialization.FindSerializerFor(message));
        byte[] bytes = serializer.ToBinary(message);
        object back = serializer.FromBinary(bytes, serializer.Manifest(message));
        Assert.IsType(type, back);
        Assert.Equal(bytes, serializer.ToBinary(back));
        if (!type.GetProperties().Any(p => IsList(p.PropertyType)))
        {
            Assert.Equal(message, back);
        }
        else
        {
            // A record compares a list by reference: compare the batches item by item.
            foreach (var property in type.GetProperties().Where(p => IsList(p.PropertyType)))
            {
                var sent = ((System.Collections.IEnumerable)property.GetValue(message)!).Cast<object>().ToList();
                var received = ((System.Collections.IEnumerable)property.GetValue(back)!).Cast<object>().ToList();
                Assert.Equal(sent, received);
                if (!property.PropertyType.IsArray)
                {
                    Assert.True(sent.Count > 1, $"{type.Name}.{property.Name} was built with several items");
                }
            }
        }

        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var traced = Traced.Wrap(message, context);
        var carried = Assert.IsType<Traced>(serializer.FromBinary(serializer.ToBinary(traced), serializer.Manifest(traced)));
        Assert.Equal(bytes, serializer.ToBinary(carried.Message));
        Assert.Equal(context.TraceId, carried.Context.TraceId);
        Assert.Equal(context.SpanId, carried.Context.SpanId);
    }

    [Fact]
    public void Capability_TravelsAsItsFourNumbers()
    {
        var cap = new Capability(0xFFFF_FFF0, 0x8000_0001, Rights.Read | Rights.Map, 0xFEDC_BA98_7654_3210);
        var message = new DriverProtocol.FrameReceivedEvent(cap, 1514);
        var serializer = (EdsosJsonSerializer)_system.Serialization.FindSerializerFor(message);

        string json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(message));

        Assert.Contains($"[{cap.NodeId},{cap.Generation},{(int)cap.Rights},{cap.Tag}]", json, StringComparison.Ordinal);
    }

    /// <summary>An instance whose every constructor argument is set, to a value that differs from its type's default.</summary>
    private object Build(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        int seed = 1;
        object?[] args = constructor.GetParameters().Select(p => Value(p.ParameterType, seed++)).ToArray();
        return constructor.Invoke(args);
    }

    private static bool IsList(Type type) =>
        type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>));

    /// <summary>A batch of three distinct items of <paramref name="item"/> (a record built like a message).</summary>
    private Array Batch(Type item)
    {
        var batch = Array.CreateInstance(item, 3);
        for (int i = 0; i < batch.Length; i++)
        {
            var constructor = item.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            int seed = 10 * (i + 1);
            batch.SetValue(constructor.Invoke(constructor.GetParameters().Select(p => Value(p.ParameterType, seed++)).ToArray()), i);
        }

        return batch;
    }

    private object? Value(Type type, int seed)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return Value(underlying, seed);
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return values.GetValue(Math.Min(values.Length - 1, 1 + (seed % Math.Max(1, values.Length - 1))));
        }

        return type switch
        {
            _ when type == typeof(int) => 1000 + seed,
            _ when type == typeof(long) => 1L << (32 + seed % 20),
            _ when type == typeof(ulong) => ulong.MaxValue - (ulong)seed,
            _ when type == typeof(uint) => uint.MaxValue - (uint)seed,
            _ when type == typeof(ushort) => (ushort)(60000 + seed),
            _ when type == typeof(byte) => (byte)(200 + seed),
            _ when type == typeof(bool) => true,
            _ when type == typeof(double) => seed + 0.25,
            _ when type == typeof(string) => $"text-{seed} ✓",
            _ when type == typeof(string[]) => new[] { $"a{seed}", "b" },
            _ when type == typeof(TimeSpan) => TimeSpan.FromMilliseconds(1500 + seed),
            _ when type == typeof(Capability) => new Capability((uint)(70000 + seed), 0x8000_0000u + (uint)seed, Rights.Read | Rights.Share | Rights.Map, 0xDEAD_BEEF_0000_0000UL + (ulong)seed),
            _ when type == typeof(TsId) => new TsId((ushort)(40000 + seed)),
            _ when type == typeof(Ipv4Address) => new Ipv4Address(10, 0, 0, (byte)seed),
            _ when type == typeof(Ipv4Endpoint) => new Ipv4Endpoint(new Ipv4Address(198, 18, 0, (byte)seed), (ushort)(50000 + seed)),
            _ when type == typeof(IActorRef) => _actor,
            _ when type == typeof(TxOffload) => new TxOffload(1448, 14, 34, 66),
            _ when type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) => Batch(type.GetGenericArguments()[0]),
            _ => throw new InvalidOperationException($"no test value for {type}"),
        };
    }
}
