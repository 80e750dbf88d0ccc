using Edsos.Scheduler.TestKit;

namespace Edsos.Scheduler.Tests;

public sealed class ReceiveAsyncSpec : TestKitBase
{
    [Fact]
    public void ReceiveAsync_PendingTask_NoOtherMessageHandledUntilDone()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = ActorOf(Props.Create(() => new AsyncWorker(gate.Task)));

        actor.Tell("slow", TestActor);
        ExpectMsg("started slow");
        actor.Tell("fast", TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        gate.SetResult();

        ExpectMsg("done slow");
        ExpectMsg("fast");
    }

    [Fact]
    public void ReceiveAsync_SenderAfterAwait_StillTheOriginalSender()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = ActorOf(Props.Create(() => new AsyncWorker(gate.Task)));
        var other = CreateTestProbe("other");

        actor.Tell("slow", TestActor);
        ExpectMsg("started slow");
        actor.Tell("fast", other);
        gate.SetResult();

        ExpectMsg("done slow");
        other.ExpectMsg("fast");
    }

    [Fact]
    public void ReceiveAsync_FaultedTask_ReportedAsFailureAndActorRestarted()
    {
        var failures = CreateTestProbe("failures");
        Sys.EventStream.Subscribe<ActorFailed>(failures);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = ActorOf(Props.Create(() => new AsyncWorker(gate.Task)));

        actor.Tell("fail", TestActor);

        var failed = failures.ExpectMsg<ActorFailed>();
        Assert.Equal("fail", failed.Message);
        Assert.IsType<InvalidOperationException>(failed.Exception);
        actor.Tell("fast", TestActor);
        ExpectMsg("fast");
    }

    private sealed class AsyncWorker : ReceiveActor
    {
        public AsyncWorker(Task gate)
        {
            ReceiveAsync<string>(s => s == "slow", async s =>
            {
                Sender.Tell("started " + s);
                await gate;
                Sender.Tell("done " + s);
            });
            ReceiveAsync<string>(s => s == "fail", async _ =>
            {
                await Task.Yield();
                throw new InvalidOperationException("async failure");
            });
            Receive<string>(s => Sender.Tell(s));
        }
    }
}
