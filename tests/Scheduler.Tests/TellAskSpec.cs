using Edsos.Scheduler.TestKit;
using static Edsos.Scheduler.Tests.TestMessages;

namespace Edsos.Scheduler.Tests;

public sealed class TellAskSpec : TestKitBase
{
    [Fact]
    public void Tell_WithSender_ReplyArrivesAtSender()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>(), "echo");

        echo.Tell(new Ping(1), TestActor);

        ExpectMsg(new Ping(1));
        Assert.Equal(echo, LastSender);
    }

    [Fact]
    public void Tell_WithoutSender_ReplyGoesToDeadLetters()
    {
        var dead = CreateTestProbe("dead");
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var echo = ActorOf(Props.Create<Actors.Echo>());

        echo.Tell(new Ping(2));

        var letter = dead.ExpectMsg<DeadLetter>();
        Assert.Equal(new Ping(2), letter.Message);
        Assert.Equal(echo, letter.Sender);
    }

    [Fact]
    public async Task Ask_ActorReplies_ReturnsTypedReply()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>());

        var reply = await echo.Ask<Ping>(new Ping(3), TimeSpan.FromSeconds(5));

        Assert.Equal(3, reply.N);
    }

    [Fact]
    public async Task Ask_NoReply_ThrowsAskTimeoutNamingTargetAndMessage()
    {
        var silent = ActorOf(Props.Create<Actors.Counter>(), "silent");

        var ex = await Assert.ThrowsAsync<AskTimeoutException>(() => silent.Ask<State>(new Increment(), TimeSpan.FromMilliseconds(200)));

        Assert.Contains("silent", ex.Message);
        Assert.Contains("Increment", ex.Message);
        Assert.Contains("200 ms", ex.Message);
    }

    [Fact]
    public async Task Ask_StatusFailureReply_ThrowsItsCause()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>());

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => echo.Ask<int>(new Status.Failure(new InvalidOperationException("no")), TimeSpan.FromSeconds(5)));

        Assert.Equal("no", ex.Message);
    }

    [Fact]
    public async Task Ask_ReplyOfOtherType_ThrowsInvalidCastNamingReply()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>());

        var ex = await Assert.ThrowsAsync<InvalidCastException>(() => echo.Ask<string>(new Ping(4), TimeSpan.FromSeconds(5)));

        Assert.Contains("Ping", ex.Message);
    }

    [Fact]
    public void ActorOf_DuplicateName_Throws()
    {
        ActorOf(Props.Create<Actors.Echo>(), "twice");

        Assert.Throws<InvalidActorNameException>(() => ActorOf(Props.Create<Actors.Echo>(), "twice"));
    }

    [Fact]
    public void ActorRef_Equality_SameActorEqualsOtherActorNot()
    {
        var a = ActorOf(Props.Create<Actors.Echo>(), "a");
        var b = ActorOf(Props.Create<Actors.Echo>(), "b");

        Assert.Equal("/user/a", a.Path.Elements);
        Assert.True(a.Equals(a));
        Assert.False(a.Equals(b));
        Assert.False(a.Equals(ActorRefs.Nobody));
    }

    [Fact]
    public void Tell_ToStoppedActor_PublishesDeadLetter()
    {
        var dead = CreateTestProbe("dead");
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var echo = ActorOf(Props.Create<Actors.Echo>());
        Watch(echo);
        Sys.Stop(echo);
        ExpectTerminated(echo);

        echo.Tell(new Ping(5), TestActor);

        var letter = dead.ExpectMsg<DeadLetter>();
        Assert.Equal(new Ping(5), letter.Message);
        Assert.Equal(echo, letter.Recipient);
    }
}
