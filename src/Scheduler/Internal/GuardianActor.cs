namespace Edsos.Scheduler.Internal;

/// <summary>The actor behind <c>/user</c> and <c>/system</c>: it only supervises; its strategy comes from its props.</summary>
internal sealed class GuardianActor : ActorBase
{
    protected internal override bool Receive(object message) => false;
}
