namespace Edsos.Kpn;

/// <summary>What a ring entry asks of the KPN (see <see cref="IoRing"/>).</summary>
public enum IoOp : byte
{
    /// <summary>No operation (an entry that names none is answered EINVAL).</summary>
    None = 0,

    /// <summary><c>send</c>/<c>sendto</c> from a buffer of the process, zero copy; the result is the byte count.</summary>
    Send = 1,

    /// <summary>Zero-copy receive: the completion carries the datagram's node, granted to the process.</summary>
    RecvZeroCopy = 2,

    /// <summary>Classic <c>recvfrom</c> into a buffer of the process (one counted copy); the result is the byte count.</summary>
    Recv = 3,
}
