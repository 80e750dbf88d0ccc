namespace Edsos.Memory;

/// <summary>
/// Identifies a tree space (TS). The value is encoded in the high 16 bits of every GVA the TS
/// owns, so a GVA alone tells which TS it belongs to. Zero is never a valid id.
/// </summary>
/// <param name="Value">The raw id; 0 is invalid.</param>
public readonly record struct TsId(ushort Value)
{
    /// <summary>The invalid id (0). No TS ever has it; operations given it fail with <see cref="MemoryError.NoSuchTs"/>.</summary>
    public static TsId None => default;

    /// <summary>True unless this is the invalid id 0. Does not say whether a TS with this id exists.</summary>
    public bool IsValid => Value != 0;

    /// <summary>Formats as <c>ts:N</c>.</summary>
    public override string ToString() => $"ts:{Value}";
}
