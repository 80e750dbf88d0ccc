using System.Collections.Concurrent;
using Edsos.Driver.Wires;

namespace Edsos.Driver.Tests.Support;

/// <summary>A test wire that keeps a copy of every transmitted frame.</summary>
internal sealed class CapturingWire : IWire
{
    public ConcurrentQueue<byte[]> Frames { get; } = new();

    public string Name => "capture";

    public void Transmit(ReadOnlySpan<byte> frame) => Frames.Enqueue(frame.ToArray());

    public void Attach(IWireReceiver receiver)
    {
    }

    public void Detach(IWireReceiver receiver)
    {
    }
}
