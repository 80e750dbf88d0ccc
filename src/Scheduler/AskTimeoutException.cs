namespace Edsos.Scheduler;

/// <summary>Thrown by <see cref="AskExtensions.Ask{T}"/> when no reply arrived within the timeout.</summary>
public sealed class AskTimeoutException : TimeoutException
{
    /// <summary>Creates the exception with a message naming the target, the question and the timeout.</summary>
    public AskTimeoutException(string message)
        : base(message)
    {
    }
}
