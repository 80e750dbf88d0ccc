using System.Text;

namespace Edsos.Memory.Shared;

/// <summary>
/// TS paths and node names in the shared arena: the same syntax as <see cref="MemoryManager"/>'s
/// (absolute, '/'-separated, no empty, '.' or '..' segments, no control or white-space characters),
/// stored as UTF-8 with a byte limit per record, and the hash the path table uses.
/// </summary>
internal static class SharedNames
{
    private const string UserRoot = "/user_proc";

    /// <summary>Splits an absolute TS path into segments; false when malformed or longer than the path limit. "/" has none.</summary>
    public static bool TryParsePath(string? path, out string[] segments)
    {
        segments = [];
        if (string.IsNullOrEmpty(path) || path[0] != '/' || Encoding.UTF8.GetByteCount(path) > SharedLayout.MaxPathBytes)
        {
            return false;
        }

        if (path == "/")
        {
            return true;
        }

        segments = path[1..].Split('/');
        foreach (var segment in segments)
        {
            if (!IsValidSegment(segment))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A node name: valid segments separated by '/', no leading or trailing '/', at most <see cref="SharedLayout.MaxNameBytes"/> UTF-8 bytes.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || Encoding.UTF8.GetByteCount(name) > SharedLayout.MaxNameBytes)
        {
            return false;
        }

        // Per push and share: walk the segments without allocating them.
        var rest = name.AsSpan();
        while (true)
        {
            int slash = rest.IndexOf('/');
            if (!IsValidSegment(slash < 0 ? rest : rest[..slash]))
            {
                return false;
            }

            if (slash < 0)
            {
                return true;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>User at or below <c>/user_proc</c>, kernel elsewhere: the manager's default.</summary>
    public static TsKind DefaultKind(string path)
    {
        return path == UserRoot || path.StartsWith(UserRoot + "/", StringComparison.Ordinal) ? TsKind.User : TsKind.Kernel;
    }

    /// <summary>FNV-1a over the UTF-8 bytes: cheap, and the same in every process.</summary>
    public static int Hash(ReadOnlySpan<byte> utf8)
    {
        uint hash = 2166136261;
        foreach (byte b in utf8)
        {
            hash = (hash ^ b) * 16777619;
        }

        return (int)hash;
    }

    private static bool IsValidSegment(ReadOnlySpan<char> segment)
    {
        if (segment.Length == 0 || segment is "." or "..")
        {
            return false;
        }

        foreach (char c in segment)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }
}
