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
}
