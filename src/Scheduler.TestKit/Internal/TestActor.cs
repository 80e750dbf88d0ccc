namespace Edsos.Scheduler.TestKit.Internal;

/// <summary>The actor behind a <see cref="TestProbe"/>: records everything it receives, including <see cref="Terminated"/>.</summary>
internal sealed class TestActor : UntypedActor
{
    private readonly TestProbe _probe;

    public TestActor(TestProbe probe)
    {
        _probe = probe;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case WatchCommand command:
                if (command.Watch)
                {
                    Context.Watch(command.Subject);
                }
                else
                {
                    Context.Unwatch(command.Subject);
                }

                command.Done.TrySetResult();
                break;
            default:
                _probe.Record(new ReceivedMessage(message, Sender, Context.TraceContext));
                break;
        }
    }
}
