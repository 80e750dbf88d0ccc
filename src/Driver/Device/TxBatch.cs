namespace Edsos.Driver.Device;

/// <summary>What one <see cref="VirtualNic.ProcessTx"/> pass did.</summary>
/// <param name="Descriptors">Descriptors consumed (TDH moved by this many).</param>
/// <param name="FramesSent">Frames put on the wire.</param>
/// <param name="FramesFailed">Frames dropped (DMA fault, too long, too many descriptors); their descriptors completed with EC.</param>
public readonly record struct TxBatch(int Descriptors, int FramesSent, int FramesFailed);
