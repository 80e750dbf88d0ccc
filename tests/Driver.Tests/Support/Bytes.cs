namespace Edsos.Driver.Tests.Support;

/// <summary>Deterministic test payloads.</summary>
internal static class Bytes
{
    public static byte[] Pattern(int length, byte seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = unchecked((byte)(seed + (i * 7)));
        }

        return bytes;
    }
}
