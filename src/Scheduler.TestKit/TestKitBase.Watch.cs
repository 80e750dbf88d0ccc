namespace Edsos.Scheduler.TestKit;

/// <summary>Death watch from the default probe.</summary>
public abstract partial class TestKitBase
{
    /// <inheritdoc cref="TestProbe.Watch(IActorRef)"/>
    public IActorRef Watch(IActorRef subject) => _testActor.Watch(subject);

    /// <inheritdoc cref="TestProbe.Unwatch(IActorRef)"/>
    public IActorRef Unwatch(IActorRef subject) => _testActor.Unwatch(subject);

    /// <inheritdoc cref="TestProbe.ExpectTerminated(IActorRef, TimeSpan?)"/>
    public Terminated ExpectTerminated(IActorRef subject, TimeSpan? timeout = null) => _testActor.ExpectTerminated(subject, timeout);
}
