using Xunit.Sdk;

namespace Edsos.Scheduler.TestKit;

/// <summary>
/// Thrown by a failed TestKit expectation. Its message says what was expected and what arrived instead
/// (type and value, and the sender) or that nothing arrived within the timeout. Derives from xunit's
/// assertion exception so runners report it as a test failure rather than an error.
/// </summary>
public sealed class ExpectationFailedException : XunitException
{
    /// <summary>Creates the exception.</summary>
    public ExpectationFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the last underlying failure (for example the last failed assertion of AwaitAssert).</summary>
    public ExpectationFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
