using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Edsos.Driver;
using Edsos.Protocol;
using Edsos.Scheduler.Tracing;
using Edsos.SocketService;

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
        var options = new JsonSerializerOptions();
        foreach (var converter in EdsosJsonConverters.All(system))
        {
            options.Converters.Add(converter);
        }

        _context = new ClusterJsonContext(options);
        _byManifest = new Dictionary<string, JsonTypeInfo>(StringComparer.Ordinal);
        foreach (var type in MessageTypes)
        {
            var info = _context.GetTypeInfo(type) ?? throw new InvalidOperationException($"{type} is in {nameof(MessageTypes)} but not in {nameof(ClusterJsonContext)}");
            if (!_byManifest.TryAdd(type.Name, info))
            {
                throw new InvalidOperationException($"two cluster messages are named {type.Name}: manifests must be unique");
            }
        }
    }

    /// <summary>
    /// Every message type this serializer carries between processes, the one list: <see cref="Bindings"/> binds each to
    /// it in Akka's configuration, and <see cref="ClusterJsonContext"/> must hold metadata for each (checked when the
    /// serializer is built). The services' contracts that cross a role boundary of a host (user ↔ net: the socket
    /// protocol and ping; net ↔ driver: the driver protocol) and the coordinator's messages.
    /// </summary>
    public static IReadOnlyList<Type> MessageTypes { get; } =
    [
        typeof(ClusterProtocol.NodeReady), typeof(ClusterProtocol.RunEcho), typeof(ClusterProtocol.EchoReached),
        typeof(ClusterProtocol.PeerStatus), typeof(ClusterProtocol.EchoDone), typeof(ClusterProtocol.Finish),
        typeof(ClusterProtocol.NodeReport), typeof(ClusterProtocol.EndEcho),
        typeof(SocketProtocol.CreateSocket), typeof(SocketProtocol.SocketCreated), typeof(SocketProtocol.BindSocket),
        typeof(SocketProtocol.ConnectSocket), typeof(SocketProtocol.ListenSocket), typeof(SocketProtocol.AcceptReqEvent),
        typeof(SocketProtocol.AcceptRespEvent), typeof(SocketProtocol.AdoptConnection), typeof(SocketProtocol.ShutdownSocket),
        typeof(SocketProtocol.SendReqEvent), typeof(SocketProtocol.SendBatchReqEvent), typeof(SocketProtocol.RecvBatchReqEvent), typeof(SocketProtocol.SendRespEvent), typeof(SocketProtocol.SendRespBatchEvent), typeof(SocketProtocol.RecvReqEvent),
        typeof(SocketProtocol.RecvCancelEvent), typeof(SocketProtocol.RecvRespEvent), typeof(SocketProtocol.RecvRespBatchEvent), typeof(SocketProtocol.SetSocketOption),
        typeof(SocketProtocol.GetSocketOption), typeof(SocketProtocol.CloseSocket), typeof(SocketProtocol.GetSocketStats),
        typeof(SocketProtocol.SocketStats), typeof(SocketProtocol.SocketReply), typeof(SocketProtocol.CloseOrphans),
        typeof(SocketProtocol.OrphansClosed),
        typeof(InetProtocol.PingRequest), typeof(InetProtocol.PingReply),
        typeof(DriverProtocol.XmitSkbEvent), typeof(DriverProtocol.SendCompleteEvent), typeof(DriverProtocol.AttachTx),
        typeof(DriverProtocol.TxCredit), typeof(DriverProtocol.AttachRx), typeof(DriverProtocol.FrameReceivedEvent),
        typeof(DriverProtocol.GetNicStatistics), typeof(DriverProtocol.NicStatistics),
    ];

    /// <summary>The HOCON <c>serialization-bindings</c> entries of <see cref="MessageTypes"/> and the <see cref="Traced"/> carrier.</summary>
    public static string Bindings(string serializerName)
    {
        var lines = new StringBuilder();
        foreach (var type in MessageTypes.Append(typeof(Traced)))
        {
            lines.Append('"').Append(type.FullName).Append(", ").Append(type.Assembly.GetName().Name).Append("\" = ").AppendLine(serializerName);
        }

        return lines.ToString();
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
        if (!_byManifest.TryGetValue(manifest, out var info) || info.Type != obj.GetType())
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
}

/// <summary>The source-generated System.Text.Json metadata of <see cref="EdsosJsonSerializer.MessageTypes"/> (one attribute per type).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ClusterProtocol.NodeReady))]
[JsonSerializable(typeof(ClusterProtocol.RunEcho))]
[JsonSerializable(typeof(ClusterProtocol.EchoReached))]
[JsonSerializable(typeof(ClusterProtocol.PeerStatus))]
[JsonSerializable(typeof(ClusterProtocol.EchoDone))]
[JsonSerializable(typeof(ClusterProtocol.Finish))]
[JsonSerializable(typeof(ClusterProtocol.NodeReport))]
[JsonSerializable(typeof(ClusterProtocol.EndEcho))]
[JsonSerializable(typeof(SocketProtocol.CreateSocket))]
[JsonSerializable(typeof(SocketProtocol.SocketCreated))]
[JsonSerializable(typeof(SocketProtocol.BindSocket))]
[JsonSerializable(typeof(SocketProtocol.ConnectSocket))]
[JsonSerializable(typeof(SocketProtocol.ListenSocket))]
[JsonSerializable(typeof(SocketProtocol.AcceptReqEvent))]
[JsonSerializable(typeof(SocketProtocol.AcceptRespEvent))]
[JsonSerializable(typeof(SocketProtocol.AdoptConnection))]
[JsonSerializable(typeof(SocketProtocol.ShutdownSocket))]
[JsonSerializable(typeof(SocketProtocol.SendReqEvent))]
[JsonSerializable(typeof(SocketProtocol.SendBatchReqEvent))]
[JsonSerializable(typeof(SocketProtocol.RecvBatchReqEvent))]
[JsonSerializable(typeof(SocketProtocol.SendRespEvent))]
[JsonSerializable(typeof(SocketProtocol.SendRespBatchEvent))]
[JsonSerializable(typeof(SocketProtocol.RecvReqEvent))]
[JsonSerializable(typeof(SocketProtocol.RecvCancelEvent))]
[JsonSerializable(typeof(SocketProtocol.RecvRespEvent))]
[JsonSerializable(typeof(SocketProtocol.RecvRespBatchEvent))]
[JsonSerializable(typeof(SocketProtocol.SetSocketOption))]
[JsonSerializable(typeof(SocketProtocol.GetSocketOption))]
[JsonSerializable(typeof(SocketProtocol.CloseSocket))]
[JsonSerializable(typeof(SocketProtocol.GetSocketStats))]
[JsonSerializable(typeof(SocketProtocol.SocketStats))]
[JsonSerializable(typeof(SocketProtocol.SocketReply))]
[JsonSerializable(typeof(SocketProtocol.CloseOrphans))]
[JsonSerializable(typeof(SocketProtocol.OrphansClosed))]
[JsonSerializable(typeof(InetProtocol.PingRequest))]
[JsonSerializable(typeof(InetProtocol.PingReply))]
[JsonSerializable(typeof(DriverProtocol.XmitSkbEvent))]
[JsonSerializable(typeof(DriverProtocol.SendCompleteEvent))]
[JsonSerializable(typeof(DriverProtocol.AttachTx))]
[JsonSerializable(typeof(DriverProtocol.TxCredit))]
[JsonSerializable(typeof(DriverProtocol.AttachRx))]
[JsonSerializable(typeof(DriverProtocol.FrameReceivedEvent))]
[JsonSerializable(typeof(DriverProtocol.GetNicStatistics))]
[JsonSerializable(typeof(DriverProtocol.NicStatistics))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext
{
}
