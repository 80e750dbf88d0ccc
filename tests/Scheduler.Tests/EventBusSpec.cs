using Edsos.Scheduler.TestKit;

namespace Edsos.Scheduler.Tests;

public sealed class EventBusSpec : TestKitBase
{
    public interface INetEvent
    {
    }

    [Fact]
    public void Signal_TwoListeners_BothReceiveOnce()
    {
        var a = CreateTestProbe("a");
        var b = CreateTestProbe("b");
        Sys.EventBus.Listen<SendReqEvent>(a);
        Sys.EventBus.Listen<SendReqEvent>(b);

        int reached = Sys.EventBus.Signal(new SendReqEvent(1));

        Assert.Equal(2, reached);
        a.ExpectMsg(new SendReqEvent(1));
        b.ExpectMsg(new SendReqEvent(1));
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Signal_ListenerOfInterface_ReceivesImplementingEventsOnce()
    {
        var all = CreateTestProbe("all");
        Sys.EventBus.Listen<INetEvent>(all);
        Sys.EventBus.Listen<SendReqEvent>(all);

        Sys.EventBus.Signal(new SendReqEvent(2));
        Sys.EventBus.Signal(new SendCompleteEvent(2));

        all.ExpectMsg(new SendReqEvent(2));
        all.ExpectMsg(new SendCompleteEvent(2));
        all.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Unlisten_ThenSignal_NothingDelivered()
    {
        var a = CreateTestProbe("a");
        Sys.EventBus.Listen<SendReqEvent>(a);

        Assert.True(Sys.EventBus.Unlisten<SendReqEvent>(a));
        int reached = Sys.EventBus.Signal(new SendReqEvent(3));

        Assert.Equal(0, reached);
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Signal_ActorListener_NodeRunsAndSenderIsSignaller()
    {
        var node = ActorOf(Props.Create(() => new SocketNode(TestActor)));
        ExpectMsg("listening");
        var signaller = CreateTestProbe("kpn");

        Sys.EventBus.Signal(new SendReqEvent(4), signaller);

        ExpectMsg("handled 4");
        signaller.ExpectMsg(new SendCompleteEvent(4));
        _ = node;
    }

    [Fact]
    public void Listen_ListenerStops_RemovedFromBus()
    {
        var node = ActorOf(Props.Create(() => new SocketNode(TestActor)));
        ExpectMsg("listening");
        Watch(node);
        Sys.Stop(node);
        ExpectTerminated(node);

        AwaitAssert(() => Assert.Equal(0, Sys.EventBus.Signal(new SendReqEvent(5))));
    }

    public sealed record SendReqEvent(int Id) : INetEvent;

    public sealed record SendCompleteEvent(int Id) : INetEvent;

    private sealed class SocketNode : ReceiveActor
    {
        public SocketNode(IActorRef probe)
        {
            Receive<SendReqEvent>(e =>
            {
                probe.Tell($"handled {e.Id}");
                Sender.Tell(new SendCompleteEvent(e.Id));
            });
            Context.System.EventBus.Listen<SendReqEvent>(Self);
            probe.Tell("listening");
        }
    }
}
