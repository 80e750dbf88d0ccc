using Edsos.Scheduler.TestKit;

namespace Edsos.Scheduler.Tests;

public sealed class BecomeSpec : TestKitBase
{
    [Fact]
    public void Become_SwitchesHandlers()
    {
        var toggle = ActorOf(Props.Create<Toggle>());

        toggle.Tell("state", TestActor);
        toggle.Tell("flip", TestActor);
        toggle.Tell("state", TestActor);
        toggle.Tell("flip", TestActor);
        toggle.Tell("state", TestActor);

        ExpectMsg("off");
        ExpectMsg("on");
        ExpectMsg("off");
    }

    [Fact]
    public void BecomeStacked_ThenUnbecome_ReturnsToPrevious()
    {
        var stack = ActorOf(Props.Create<Stacked>());

        stack.Tell("who", TestActor);
        stack.Tell("push", TestActor);
        stack.Tell("who", TestActor);
        stack.Tell("pop", TestActor);
        stack.Tell("who", TestActor);
        stack.Tell("pop", TestActor);
        stack.Tell("who", TestActor);

        ExpectMsg("base");
        ExpectMsg("pushed");
        ExpectMsg("base");
        ExpectMsg("base");
    }

    [Fact]
    public void Receive_WithPredicate_FallsThroughToNextHandler()
    {
        var actor = ActorOf(Props.Create<Classifier>());

        actor.Tell(5, TestActor);
        actor.Tell(-5, TestActor);
        actor.Tell("x", TestActor);

        ExpectMsg("positive");
        ExpectMsg("other int");
        ExpectMsg("any String");
    }

    [Fact]
    public void Receive_NoHandler_PublishesUnhandledMessage()
    {
        var unhandled = CreateTestProbe("unhandled");
        Sys.EventStream.Subscribe<UnhandledMessage>(unhandled);
        var toggle = ActorOf(Props.Create<Toggle>());

        toggle.Tell(3.14, TestActor);

        var message = unhandled.ExpectMsg<UnhandledMessage>();
        Assert.Equal(3.14, message.Message);
        Assert.Equal(toggle, message.Recipient);
        Assert.Equal(TestActor, message.Sender);
    }

    private sealed class Toggle : ReceiveActor
    {
        public Toggle()
        {
            Off();
        }

        private void Off()
        {
            Receive<string>(s => s == "state", _ => Sender.Tell("off"));
            Receive<string>(s => s == "flip", _ => Become(On));
        }

        private void On()
        {
            Receive<string>(s => s == "state", _ => Sender.Tell("on"));
            Receive<string>(s => s == "flip", _ => Become(Off));
        }
    }

    private sealed class Stacked : ReceiveActor
    {
        public Stacked()
        {
            Receive<string>(s => s == "who", _ => Sender.Tell("base"));
            Receive<string>(s => s == "push", _ => BecomeStacked(() =>
            {
                Receive<string>(s => s == "who", _ => Sender.Tell("pushed"));
                Receive<string>(s => s == "pop", _ => UnbecomeStacked());
            }));
            Receive<string>(s => s == "pop", _ => UnbecomeStacked());
        }
    }

    private sealed class Classifier : ReceiveActor
    {
        public Classifier()
        {
            Receive<int>(i => i > 0, _ => Sender.Tell("positive"));
            Receive<int>(_ => Sender.Tell("other int"));
            ReceiveAny(m => Sender.Tell("any " + m.GetType().Name));
        }
    }
}
