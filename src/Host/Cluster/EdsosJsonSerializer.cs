using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster;

/// <summary>
/// The console cluster's serializer: <see cref="IClusterMessage"/> records as System.Text.Json with
/// source-generated metadata (<see cref="ClusterJsonContext"/>, no reflection at run time), the record's
/// short name as the manifest, actor references as their serialized path; and EDSRT's <see cref="Traced"/>
/// carrier as 25 bytes of trace context followed by its inner message, serialized by whatever serializer Akka
/// binds to that message. Chosen by measurement over Akka's default JSON and Hyperion (README,
/// "Console cluster"; <c>edsos bench serializer</c>).
/// </summary>
public sealed class EdsosJsonSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer's id in Akka's registry (ids below 100 are Akka's own).</summary>
    public const int Id = 4114;

    private const string TracedManifest = "Traced";
    private const int TracedHeader = 8 + 8 + 8 + 1 + 4 + 2;
    private readonly ClusterJsonContext _context;
    private readonly Dictionary<string, JsonTypeInfo> _byManifest;

    /// <summary>Built by Akka from the configuration (<c>akka.actor.serializers</c>).</summary>
    public EdsosJsonSerializer(ExtendedActorSystem system)
        : base(system)
    {
        var options = new JsonSerializerOptions { Converters = { new ActorRefConverter(system) } };
        _context = new ClusterJsonContext(options);
        _byManifest = new Dictionary<string, JsonTypeInfo>(StringComparer.Ordinal)
        {
            [nameof(ClusterProtocol.NodeReady)] = _context.NodeReady,
            [nameof(ClusterProtocol.RunEcho)] = _context.RunEcho,
            [nameof(ClusterProtocol.EchoReached)] = _context.EchoReached,
            [nameof(ClusterProtocol.PeerStatus)] = _context.PeerStatus,
            [nameof(ClusterProtocol.EchoDone)] = _context.EchoDone,
            [nameof(ClusterProtocol.Finish)] = _context.Finish,
            [nameof(ClusterProtocol.NodeReport)] = _context.NodeReport,
        };
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return o is Traced ? TracedManifest : o.GetType().Name;
    }

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (obj is Traced traced)
        {
            return TracedToBinary(traced);
        }

        string manifest = obj.GetType().Name;
        if (obj is not IClusterMessage || !_byManifest.TryGetValue(manifest, out var info))
        {
            throw new SerializationException($"{nameof(EdsosJsonSerializer)} cannot serialize {obj.GetType()}");
        }

        return JsonSerializer.SerializeToUtf8Bytes(obj, info);
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (manifest == TracedManifest)
        {
            return TracedFromBinary(bytes);
        }

        if (!_byManifest.TryGetValue(manifest, out var info))
        {
            throw new SerializationException($"{nameof(EdsosJsonSerializer)} knows no message '{manifest}'");
        }

        return JsonSerializer.Deserialize(bytes, info) ?? throw new SerializationException($"empty {manifest}");
    }

    private byte[] TracedToBinary(Traced traced)
    {
        var inner = system.Serialization.FindSerializerFor(traced.Message);
        byte[] body = inner.ToBinary(traced.Message);
        byte[] manifest = Encoding.UTF8.GetBytes(Akka.Serialization.Serialization.ManifestFor(inner, traced.Message));
        byte[] bytes = new byte[TracedHeader + manifest.Length + body.Length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt64BigEndian(span, traced.TraceIdHigh);
        BinaryPrimitives.WriteUInt64BigEndian(span[8..], traced.TraceIdLow);
        BinaryPrimitives.WriteUInt64BigEndian(span[16..], traced.SpanId);
        span[24] = traced.Flags;
        BinaryPrimitives.WriteInt32BigEndian(span[25..], inner.Identifier);
        BinaryPrimitives.WriteUInt16BigEndian(span[29..], checked((ushort)manifest.Length));
        manifest.CopyTo(span[TracedHeader..]);
        body.CopyTo(span[(TracedHeader + manifest.Length)..]);
        return bytes;
    }

    private Traced TracedFromBinary(byte[] bytes)
    {
        if (bytes.Length < TracedHeader)
        {
            throw new SerializationException("a Traced carrier shorter than its header");
        }

        var span = bytes.AsSpan();
        int serializerId = BinaryPrimitives.ReadInt32BigEndian(span[25..]);
        int manifestLength = BinaryPrimitives.ReadUInt16BigEndian(span[29..]);
        if (bytes.Length < TracedHeader + manifestLength)
        {
            throw new SerializationException("a Traced carrier cut inside its manifest");
        }

        string manifest = Encoding.UTF8.GetString(span.Slice(TracedHeader, manifestLength));
        byte[] body = span[(TracedHeader + manifestLength)..].ToArray();
        object message = system.Serialization.Deserialize(body, serializerId, manifest);
        return new Traced(
            message,
            BinaryPrimitives.ReadUInt64BigEndian(span),
            BinaryPrimitives.ReadUInt64BigEndian(span[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(span[16..]),
            span[24]);
    }

    /// <summary>An actor reference as its serialized path (with the address of this system when local), resolved on the far side.</summary>
    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override IActorRef? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? path = reader.GetString();
            return string.IsNullOrEmpty(path) ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
        }

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options)
        {
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
        }
    }
}

/// <summary>The source-generated System.Text.Json metadata of <see cref="ClusterProtocol"/>'s records.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ClusterProtocol.NodeReady))]
[JsonSerializable(typeof(ClusterProtocol.RunEcho))]
[JsonSerializable(typeof(ClusterProtocol.EchoReached))]
[JsonSerializable(typeof(ClusterProtocol.PeerStatus))]
[JsonSerializable(typeof(ClusterProtocol.EchoDone))]
[JsonSerializable(typeof(ClusterProtocol.Finish))]
[JsonSerializable(typeof(ClusterProtocol.NodeReport))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext
{
}
