using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>The output router's verdict on one datagram.</summary>
/// <param name="Action">Where it goes.</param>
/// <param name="Error">For <see cref="OutputAction.Fail"/>: the errno the sender gets.</param>
/// <param name="NextHop">For <see cref="OutputAction.Resolve"/>: the address to resolve (the gateway or the destination).</param>
public readonly record struct OutputDecision(OutputAction Action, Errno Error, Ipv4Address NextHop)
{
    /// <summary>Refused with <paramref name="error"/>.</summary>
    public static OutputDecision Fail(Errno error) => new(OutputAction.Fail, error, default);
}
