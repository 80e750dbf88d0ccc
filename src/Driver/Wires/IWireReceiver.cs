using System.Buffers;

namespace Edsos.Driver.Wires;

/// <summary>
/// Where a wire delivers the frames arriving at its end (a device's receive side). Called on the
/// wire's thread; <c>frame</c> is valid only during the call, so a receiver that hands the frame
/// on to another thread copies it first.
/// </summary>
public interface IWireReceiver
{
    /// <summary>Takes one arriving frame. Must not throw; a receiver that cannot take it drops and counts it.</summary>
    void OnFrame(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Takes one arriving frame in a buffer handed over whole (<see cref="IWire.TransmitOwned"/>): rented from
    /// <see cref="ArrayPool{T}.Shared"/>, the receiver's from now on, returned by it. By default: as <see cref="OnFrame"/>,
    /// then the buffer goes back to the pool.
    /// </summary>
    void OnFrameOwned(byte[] buffer, int length)
    {
        try
        {
            OnFrame(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
