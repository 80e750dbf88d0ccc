using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Inet;

/// <summary>
/// The AF_INET family (seed 003 section 3, Linux <c>inet_create</c> and <c>inet_bind</c>), in TS
/// <c>/net/ipv4</c>: a table of (socket type, protocol) → transport implementation answering
/// <see cref="InetProtocol.OpenEndpoint"/> with Linux's wildcard rules, and the local port table
/// answering <see cref="InetProtocol.BindRequest"/> (ephemeral ports 49152-65535,
/// <see cref="Errno.EADDRINUSE"/>, <see cref="Errno.EADDRNOTAVAIL"/> for an address that is not ours;
/// 0.0.0.0 binds every local address). Bindings are pushed to the receive worker, which confirms the
/// bind to the socket only once it demultiplexes to it. <see cref="InetProtocol.Unbind"/> comes from the
/// socket, or, for a TCP socket closed with a connection, from TCP once that connection is deleted (after
/// TIME_WAIT): the port stays taken while segments of the old connection may still arrive.
/// </summary>
public sealed class InetFamily : EdsrtActor
{
    private const ushort EphemeralLow = 49152;
    private const ushort EphemeralHigh = 65535;

    private readonly InetStackOptions _options;
    private readonly IActorRef _rxWorker;
    private readonly List<InetProtocol.RegisterProtocol> _protocols = new();
    private readonly Dictionary<(int Protocol, ushort Port), Ipv4Address> _ports = new();
    private ushort _nextEphemeral = EphemeralLow;

    /// <summary>Creates the family; <see cref="InetStack.Start"/> does this and registers UDP.</summary>
    public InetFamily(InetStackOptions options, IActorRef rxWorker, IReadOnlyList<InetProtocol.RegisterProtocol> builtIn)
    {
        _options = options;
        _rxWorker = rxWorker;
        _protocols.AddRange(builtIn);

        Receive<InetProtocol.RegisterProtocol>(OnRegister);
        Receive<InetProtocol.OpenEndpoint>(OnOpen);
        Receive<InetProtocol.BindRequest>(OnBind);
        Receive<InetProtocol.Unbind>(OnUnbind);
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(new InetFamilyCounters(_protocols.Count, _ports.Count), Self));
        Receive<InetStackProtocol.Quiesce>(_ => Sender.Tell(new InetStackProtocol.Quiesced(nameof(InetFamily)), Self));
        Receive<InetStackProtocol.Release>(_ =>
        {
            _ports.Clear();
            Sender.Tell(new InetStackProtocol.Released(nameof(InetFamily), 0), Self);
        });
    }

    private void OnRegister(InetProtocol.RegisterProtocol register)
    {
        foreach (var existing in _protocols)
        {
            if (existing.Type == register.Type && existing.Protocol == register.Protocol)
            {
                Sender.Tell(new InetProtocol.ProtocolRegistered(Errno.EADDRINUSE, register.Type, register.Protocol), Self);
                return;
            }
        }

        _protocols.Add(register);
        Sender.Tell(new InetProtocol.ProtocolRegistered(Errno.None, register.Type, register.Protocol), Self);
    }

    private void OnOpen(InetProtocol.OpenEndpoint open)
    {
        // inet_create: no entry for the type is ESOCKTNOSUPPORT; entries but none for the protocol is
        // EPROTONOSUPPORT; protocol 0 (IPPROTO_IP) takes the type's first entry.
        Errno error = Errno.ESOCKTNOSUPPORT;
        foreach (var entry in _protocols)
        {
            if (entry.Type != open.Type)
            {
                continue;
            }

            if (open.Protocol == 0 || open.Protocol == entry.Protocol)
            {
                Sender.Tell(new InetProtocol.EndpointOpened(
                    Error: Errno.None,
                    Protocol: entry.Protocol,
                    TxWorker: entry.TxWorker,
                    TxTs: entry.TxTs,
                    MaxPayload: entry.MaxPayload,
                    TxBatches: _options.Batching && open.Type == SocketKind.Dgram), Self);
                return;
            }

            error = Errno.EPROTONOSUPPORT;
        }

        Sender.Tell(new InetProtocol.EndpointOpened(Error: error, Protocol: open.Protocol, TxWorker: null, TxTs: default, MaxPayload: 0), Self);
    }

    private void OnBind(InetProtocol.BindRequest bind)
    {
        Ipv4Address address = bind.Local.Address;
        if (!address.IsUnspecified && !_options.IsLocalAddress(address))
        {
            Sender.Tell(new InetProtocol.BindReply(Errno.EADDRNOTAVAIL, bind.Local), Self);
            return;
        }

        ushort port = bind.Local.Port;
        if (port == 0)
        {
            if (!TryPickEphemeral(bind.Protocol, out port))
            {
                Sender.Tell(new InetProtocol.BindReply(Errno.EADDRINUSE, bind.Local), Self);
                return;
            }
        }
        else if (_ports.ContainsKey((bind.Protocol, port)))
        {
            // No SO_REUSEADDR: one socket per port, whichever address it bound.
            Sender.Tell(new InetProtocol.BindReply(Errno.EADDRINUSE, bind.Local), Self);
            return;
        }

        var bound = new Ipv4Endpoint(address, port);
        _ports.Add((bind.Protocol, port), address);
        _rxWorker.Tell(
            new Ipv4Protocol.BindingAdded(
                Protocol: bind.Protocol,
                Local: bound,
                Socket: bind.Socket,
                SocketTs: bind.SocketTs,
                Reply: new InetProtocol.BindReply(Errno.None, bound),
                ReplyTo: Sender),
            Self);
    }

    private bool TryPickEphemeral(int protocol, out ushort port)
    {
        // A rotating cursor, like Linux's port offset, so a just-released port is not handed out again at once.
        const int range = EphemeralHigh - EphemeralLow + 1;
        for (int tried = 0; tried < range; tried++)
        {
            port = _nextEphemeral;
            _nextEphemeral = _nextEphemeral == EphemeralHigh ? EphemeralLow : (ushort)(_nextEphemeral + 1);
            if (!_ports.ContainsKey((protocol, port)))
            {
                return true;
            }
        }

        port = 0;
        return false;
    }

    private void OnUnbind(InetProtocol.Unbind unbind)
    {
        var key = (unbind.Protocol, unbind.Local.Port);
        if (_ports.TryGetValue(key, out Ipv4Address address) && address == unbind.Local.Address)
        {
            _ports.Remove(key);
            _rxWorker.Tell(new Ipv4Protocol.BindingRemoved(unbind.Protocol, unbind.Local), Self);
        }
    }
}
