namespace Edsos.Protocol.Tcp;

/// <summary>
/// TCP sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4; RFC 1982 serial-number comparison):
/// <c>a &lt; b</c> when <c>(int)(a - b) &lt; 0</c>, which holds across the wrap as long as the two are less
/// than 2^31 apart, the invariant a window guarantees.
/// </summary>
public static class SeqNum
{
    /// <summary>a &lt; b modulo 2^32.</summary>
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;

    /// <summary>a ≤ b modulo 2^32.</summary>
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;

    /// <summary>a &gt; b modulo 2^32.</summary>
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;

    /// <summary>a ≥ b modulo 2^32.</summary>
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;

    /// <summary>The signed distance b − a (positive when b is after a).</summary>
    public static int Diff(uint a, uint b) => (int)(b - a);

    /// <summary>The larger of the two modulo 2^32.</summary>
    public static uint Max(uint a, uint b) => Gt(a, b) ? a : b;

    /// <summary>True when <paramref name="low"/> ≤ <paramref name="x"/> &lt; <paramref name="high"/> modulo 2^32 (empty when equal).</summary>
    public static bool InWindow(uint x, uint low, uint high) => Le(low, x) && Lt(x, high);
}
