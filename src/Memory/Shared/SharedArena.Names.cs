using System.Globalization;
using System.Text;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Node names on the data path: validated and encoded once per name string, not per operation.</summary>
public sealed unsafe partial class SharedArena
{
    private const int NameSlots = 2048;

    // A direct-mapped cache of valid names and their UTF-8 bytes, keyed by the string's reference:
    // the stack names its nodes with constants ("send_q/h", "skb") and per-slot strings made once
    // (a NIC's RX frames: one per ring slot, 1024 with large frames), and a string is immutable, so
    // the same reference means the same valid name. Indexed by length, first and last three
    // characters over 2048 slots: 64 slots indexed by the length and the last character held the
    // ring's frame names in 16 slots, so every RX ct_share validated and encoded its name again. Read and written only under the lock; a
    // miss validates and encodes into the slot, allocating nothing (128 KiB per arena instance).
    private readonly string?[] _nameKeys = new string?[NameSlots];
    private readonly byte[] _nameBytes = new byte[NameSlots * L.MaxNameBytes];
    private readonly int[] _nameLengths = new int[NameSlots];

    // Prefixes of numbered names ("send_q/" + a request id): a prefix is no name itself (a trailing '/'), so it has
    // a cache of its own, keyed the same way, holding prefixes that form a valid name with any number appended. The
    // numbered name is assembled in _numbered (under the lock, like the cache).
    private const int PrefixSlots = 64;
    private readonly string?[] _prefixKeys = new string?[PrefixSlots];
    private readonly byte[] _prefixBytes = new byte[PrefixSlots * L.MaxNameBytes];
    private readonly int[] _prefixLengths = new int[PrefixSlots];
    private readonly byte[] _numbered = new byte[L.MaxNameBytes];

    /// <summary>
    /// The UTF-8 bytes of <paramref name="name"/> when it is a valid node name
    /// (<see cref="SharedNames.IsValidName"/>), else false. The span stays valid until the next call;
    /// the lock is held.
    /// </summary>
    private bool TryEncodeName(string? name, out ReadOnlySpan<byte> utf8)
    {
        if (string.IsNullOrEmpty(name))
        {
            utf8 = default;
            return false;
        }

        // Length, first and last three characters: a per-slot name differs in its last digits ("eth0_rx_3ff"), and
        // these few loads cost less than the identity hash's call (three names per share→merge→pop cycle).
        int n = name.Length;
        int hash = (n * 31) ^ (name[0] << 3) ^ name[n - 1] ^ (n > 1 ? name[n - 2] << 5 : 0) ^ (n > 2 ? name[n - 3] << 9 : 0);
        int slot = (hash ^ (hash >> 11)) & (NameSlots - 1);
        if (!ReferenceEquals(_nameKeys[slot], name))
        {
            if (!SharedNames.IsValidName(name))
            {
                utf8 = default;
                return false;
            }

            _nameLengths[slot] = Encoding.UTF8.GetBytes(name, _nameBytes.AsSpan(slot * L.MaxNameBytes, L.MaxNameBytes));
            _nameKeys[slot] = name;
        }

        utf8 = new ReadOnlySpan<byte>(_nameBytes, slot * L.MaxNameBytes, _nameLengths[slot]);
        return true;
    }

    /// <summary>
    /// The UTF-8 bytes of <paramref name="prefix"/> followed by <paramref name="number"/> in decimal when that is a
    /// valid node name, else false; the same bytes <see cref="TryEncodeName"/> gives for the concatenated string,
    /// without making it. The span stays valid until the next call; the lock is held.
    /// </summary>
    private bool TryEncodeNumberedName(string? prefix, ulong number, out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        if (string.IsNullOrEmpty(prefix))
        {
            return false;
        }

        int n = prefix.Length;
        int hash = (n * 31) ^ (prefix[0] << 3) ^ prefix[n - 1] ^ (n > 1 ? prefix[n - 2] << 5 : 0);
        int slot = (hash ^ (hash >> 7)) & (PrefixSlots - 1);
        if (!ReferenceEquals(_prefixKeys[slot], prefix))
        {
            // Valid with one digit appended means valid with any number: a segment of digits is always valid, and a
            // prefix without a trailing '/' gets digits at the end of its last segment, which digits never spoil.
            // The length is checked per number below. Made once per prefix string.
            if (Encoding.UTF8.GetByteCount(prefix) >= L.MaxNameBytes || !SharedNames.IsValidName(prefix + "0"))
            {
                return false;
            }

            _prefixLengths[slot] = Encoding.UTF8.GetBytes(prefix, _prefixBytes.AsSpan(slot * L.MaxNameBytes, L.MaxNameBytes));
            _prefixKeys[slot] = prefix;
        }

        int length = _prefixLengths[slot];
        _prefixBytes.AsSpan(slot * L.MaxNameBytes, length).CopyTo(_numbered);
        if (!number.TryFormat(_numbered.AsSpan(length), out int digits, default, CultureInfo.InvariantCulture))
        {
            return false;
        }

        utf8 = new ReadOnlySpan<byte>(_numbered, 0, length + digits);
        return true;
    }
}
