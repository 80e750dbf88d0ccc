using System.Diagnostics;

namespace Edsos.Scheduler.TestKit;

/// <summary>A message a <see cref="TestProbe"/> received, with what came with it.</summary>
/// <param name="Message">The message.</param>
/// <param name="Sender">Its sender (the system's dead letters when it had none).</param>
/// <param name="TraceContext">The trace context that travelled with it.</param>
public sealed record ReceivedMessage(object Message, IActorRef Sender, ActivityContext TraceContext)
{
    /// <summary>"Type: value from sender", the form used in failure messages.</summary>
    public override string ToString() => $"{MessageFormat.Describe(Message)} from {Sender.Path}";
}
