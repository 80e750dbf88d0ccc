using System.CommandLine;
using System.CommandLine.Parsing;

namespace Edsos.Host;

/// <summary>
/// Checks of single options that every command shares, run by the parser (so before any work
/// starts) and reported as one-line parse errors, exit code 2: a file the run will write, an OTLP
/// endpoint, a lower bound. Each check is also a plain <c>Check*</c> function returning the problem
/// in words (null when fine), for options that arrive by another way (a record, the environment).
/// </summary>
public static class OptionChecks
{
    /// <summary>Refuses a value that is not a file this process can create or overwrite.</summary>
    public static Option<string?> MustBeWritableFile(this Option<string?> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out string? value))
            {
                Report(result, option.Name, CheckWritableFile(value));
            }
        });
        return option;
    }

    /// <summary>Refuses a value that is not an absolute http:// or https:// URI with a host.</summary>
    public static Option<string?> MustBeHttpEndpoint(this Option<string?> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out string? value))
            {
                Report(result, option.Name, CheckHttpEndpoint(value));
            }
        });
        return option;
    }

    /// <summary>Refuses a value below <paramref name="minimum"/>; <paramref name="why"/> (may be null) says why the bound is there.</summary>
    public static Option<int> MustBeAtLeast(this Option<int> option, int minimum, string? why = null)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out int value))
            {
                Report(result, option.Name, value < minimum ? $"must be at least {minimum}{Why(why)}, not {value}" : null);
            }
        });
        return option;
    }

    /// <summary>Refuses a value below <paramref name="minimum"/>; <paramref name="why"/> (may be null) says why the bound is there.</summary>
    public static Option<long> MustBeAtLeast(this Option<long> option, long minimum, string? why = null)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out long value))
            {
                Report(result, option.Name, value < minimum ? $"must be at least {minimum}{Why(why)}, not {value}" : null);
            }
        });
        return option;
    }

    /// <summary>
    /// Null when <paramref name="path"/> names a file this process can create or overwrite (probed by
    /// opening it for writing; a file the probe created is deleted again), else the problem in words.
    /// </summary>
    public static string? CheckWritableFile(string? path)
    {
        if (path is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            return "needs a file name, not an empty string";
        }

        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"names no usable file: '{path}' ({e.Message})";
        }

        if (Directory.Exists(full))
        {
            return $"names a directory, not a file: {path}";
        }

        string? directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
        {
            return $"names a file that cannot be written: {path} (no directory {directory})";
        }

        bool existed = File.Exists(full);
        try
        {
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
            }

            if (!existed)
            {
                File.Delete(full);
            }

            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return $"names a file that cannot be written: {path} (permission denied)";
        }
        catch (IOException e)
        {
            return $"names a file that cannot be written: {path} ({e.Message})";
        }
    }

    /// <summary>Null when <paramref name="endpoint"/> is an absolute http:// or https:// URI with a host, else the problem in words.</summary>
    public static string? CheckHttpEndpoint(string? endpoint)
    {
        if (endpoint is null)
        {
            return null;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.IsFile || string.IsNullOrEmpty(uri.Host))
        {
            return $"must be an http:// or https:// URI such as http://localhost:4317, not '{endpoint}'";
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"must be an http:// or https:// URI (OTLP speaks HTTP or gRPC), not {uri.Scheme}://";
        }

        return null;
    }

    /// <summary>The option's value; false when the token did not convert (the parser reports that error itself).</summary>
    private static bool TryGetValue<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    private static void Report(OptionResult result, string name, string? problem)
    {
        if (problem is not null)
        {
            result.AddError($"{name} {problem}");
        }
    }

    private static string Why(string? why) => why is null ? string.Empty : $" ({why})";
}
