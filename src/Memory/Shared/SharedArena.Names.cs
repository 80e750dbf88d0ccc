using System.Text;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Node names on the data path: validated and encoded once per name string, not per operation.</summary>
public sealed unsafe partial class SharedArena
{
    private const int NameSlots = 64;

    // A direct-mapped cache of valid names and their UTF-8 bytes, keyed by the string's reference:
    // the stack names its nodes with a few constants ("send_q/h", "skb"), and a string is
    // immutable, so the same reference means the same valid name. Read and written only under the
    // lock; a miss validates and encodes into the slot, allocating nothing.
    private readonly string?[] _nameKeys = new string?[NameSlots];
    private readonly byte[] _nameBytes = new byte[NameSlots * L.MaxNameBytes];
    private readonly int[] _nameLengths = new int[NameSlots];

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

        int slot = ((name.Length * 31) ^ name[^1] ^ (name[0] << 3)) & (NameSlots - 1);
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
}
