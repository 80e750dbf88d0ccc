namespace Edsos.Memory;

/// <summary>
/// A place in the source, filled by the compiler (<c>[CallerFilePath]</c>, <c>[CallerLineNumber]</c>)
/// where a node was made or released: a leak report and a double release name it. Holds the
/// compiler's string constant, so recording a place allocates nothing.
/// </summary>
/// <param name="File">The caller's source file path as compiled (empty when unknown).</param>
/// <param name="Line">The caller's line (0 when unknown).</param>
public readonly record struct CodePlace(string File, int Line)
{
    /// <summary>Formats as <c>File.cs:123</c> (the file name without its directory), or <c>unknown</c>.</summary>
    public override string ToString()
    {
        if (string.IsNullOrEmpty(File))
        {
            return "unknown";
        }

        int slash = Math.Max(File.LastIndexOf('/'), File.LastIndexOf('\\'));
        return $"{File[(slash + 1)..]}:{Line}";
    }
}
