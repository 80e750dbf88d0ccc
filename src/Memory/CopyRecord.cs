namespace Edsos.Memory;

/// <summary>
/// One CPU copy as the accounted copy routine made it, for copy observers
/// (<see cref="MemoryManager.ObserveCopies"/>): trace events show where a path copies.
/// </summary>
/// <param name="Caller">The TS on whose behalf the bytes were copied.</param>
/// <param name="Kind">What was copied (payload, header, metadata, the application's own buffer).</param>
/// <param name="Bytes">How many bytes.</param>
public readonly record struct CopyRecord(TsId Caller, CopyKind Kind, int Bytes);
