using System.Buffers;
using Edsos.Driver.Wires;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver.Device;

/// <summary>
/// The device's receive port on its wire: copies each arriving frame out of the sender's buffer
/// into a pooled buffer (the receiving device's memory) and hands it to the device actor, so
/// frames cross the wire by value and the peer's DMA happens on the peer's own thread. A frame handed
/// over in a pooled buffer of its own (<see cref="IWireReceiver.OnFrameOwned"/>) goes to the actor as it is.
/// </summary>
internal sealed class DeviceWireReceiver : IWireReceiver
{
    private readonly IActorRef _device;

    public DeviceWireReceiver(IActorRef device)
    {
        _device = device;
    }

    public void OnFrame(ReadOnlySpan<byte> frame)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(frame.Length, 1));
        frame.CopyTo(buffer);
        _device.Tell(VirtualNicProtocol.WireFrame.Rent(buffer, frame.Length));
    }

    public void OnFrameOwned(byte[] buffer, int length) => _device.Tell(VirtualNicProtocol.WireFrame.Rent(buffer, length));
}
