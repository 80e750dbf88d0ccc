namespace Edsos.Scheduler.TestKit;

/// <summary>How failure messages show a message: its type name, then its value.</summary>
internal static class MessageFormat
{
    public static string Describe(object? message)
    {
        if (message is null)
        {
            return "null";
        }

        string value = message switch
        {
            string s => "\"" + s + "\"",
            _ => message.ToString() ?? string.Empty,
        };
        return $"{message.GetType().Name}: {value}";
    }

    public static string Ms(TimeSpan span) => $"{span.TotalMilliseconds:0} ms";
}
