using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;

namespace Edsos.Host.Cluster;

/// <summary>
/// The System.Text.Json converters of the values cluster messages carry: a capability as its four numbers, a TS id and
/// an IPv4 address as one number, an endpoint as address and port, an actor reference as its serialized path. Each
/// writes a JSON array or number, never a property name, so a message stays short.
/// </summary>
internal static class EdsosJsonConverters
{
    /// <summary>Every converter, the actor-reference one bound to <paramref name="system"/> (which resolves paths).</summary>
    public static JsonConverter[] All(ExtendedActorSystem system) =>
        [new ActorRefConverter(system), new CapabilityConverter(), new TsIdConverter(), new Ipv4AddressConverter(), new Ipv4EndpointConverter()];

    /// <summary><c>[nodeId, generation, rights, tag]</c>: the capability is plain data and checked by the arena on use.</summary>
    private sealed class CapabilityConverter : JsonConverter<Capability>
    {
        public override Capability Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Expect(ref reader, JsonTokenType.StartArray);
            uint node = ReadUInt32(ref reader);
            uint generation = ReadUInt32(ref reader);
            var rights = (Rights)ReadUInt32(ref reader);
            Next(ref reader, JsonTokenType.Number);
            ulong tag = reader.GetUInt64();
            Next(ref reader, JsonTokenType.EndArray);
            return new Capability(node, generation, rights, tag);
        }

        public override void Write(Utf8JsonWriter writer, Capability value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(value.NodeId);
            writer.WriteNumberValue(value.Generation);
            writer.WriteNumberValue((uint)value.Rights);
            writer.WriteNumberValue(value.Tag);
            writer.WriteEndArray();
        }
    }

    /// <summary>A TS id as its number: TS ids are global in a host's arena, so it names the same TS in every process.</summary>
    private sealed class TsIdConverter : JsonConverter<TsId>
    {
        public override TsId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetUInt16());

        public override void Write(Utf8JsonWriter writer, TsId value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
    }

    /// <summary>An IPv4 address as its 32-bit value.</summary>
    private sealed class Ipv4AddressConverter : JsonConverter<Ipv4Address>
    {
        public override Ipv4Address Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetUInt32());

        public override void Write(Utf8JsonWriter writer, Ipv4Address value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
    }

    /// <summary><c>[address, port]</c>.</summary>
    private sealed class Ipv4EndpointConverter : JsonConverter<Ipv4Endpoint>
    {
        public override Ipv4Endpoint Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Expect(ref reader, JsonTokenType.StartArray);
            uint address = ReadUInt32(ref reader);
            Next(ref reader, JsonTokenType.Number);
            ushort port = reader.GetUInt16();
            Next(ref reader, JsonTokenType.EndArray);
            return new Ipv4Endpoint(new Ipv4Address(address), port);
        }

        public override void Write(Utf8JsonWriter writer, Ipv4Endpoint value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(value.Address.Value);
            writer.WriteNumberValue(value.Port);
            writer.WriteEndArray();
        }
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

    private static uint ReadUInt32(ref Utf8JsonReader reader)
    {
        Next(ref reader, JsonTokenType.Number);
        return reader.GetUInt32();
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"expected {type}, found {reader.TokenType}");
        }
    }

    private static void Next(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new JsonException($"expected {type}, found {reader.TokenType}");
        }
    }
}
