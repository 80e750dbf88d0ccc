using Edsos.Scheduler.TestKit;
using static Edsos.Scheduler.Tests.TestMessages;

namespace Edsos.Scheduler.Tests;

public sealed class TestKitSpec : TestKitBase
{
    [Fact]
    public void ExpectMsg_WrongType_MessageNamesWhatArrived()
    {
        TestActor.Tell(new Ping(7));

        var ex = Assert.Throws<ExpectationFailedException>(() => ExpectMsg<Pong>());

        Assert.Contains("ExpectMsg<Pong>", ex.Message);
        Assert.Contains("Ping: Ping { N = 7 }", ex.Message);
    }

    [Fact]
    public void ExpectMsg_WrongValue_MessageNamesExpectedAndReceived()
    {
        TestActor.Tell("actual");

        var ex = Assert.Throws<ExpectationFailedException>(() => ExpectMsg("expected"));

        Assert.Contains("String: \"expected\"", ex.Message);
        Assert.Contains("String: \"actual\"", ex.Message);
    }

    [Fact]
    public void ExpectMsg_NothingArrives_MessageSaysTimeoutWithNothingReceived()
    {
        var ex = Assert.Throws<ExpectationFailedException>(() => ExpectMsg<Ping>(TimeSpan.FromMilliseconds(100)));

        Assert.Contains("timeout (100 ms) with nothing received", ex.Message);
    }

    [Fact]
    public void ExpectMsg_PredicateRejects_MessageNamesRejectedMessage()
    {
        TestActor.Tell(new Ping(1));

        var ex = Assert.Throws<ExpectationFailedException>(() => ExpectMsg<Ping>(p => p.N > 5));

        Assert.Contains("predicate rejected Ping: Ping { N = 1 }", ex.Message);
    }

    [Fact]
    public void ExpectNoMsg_SomethingArrives_MessageNamesIt()
    {
        TestActor.Tell(new Pong(3));

        var ex = Assert.Throws<ExpectationFailedException>(() => ExpectNoMsg(TimeSpan.FromSeconds(2)));

        Assert.Contains("expected no message but received Pong: Pong { N = 3 }", ex.Message);
    }

    [Fact]
    public void FishForMessage_SkipsNonMatching_ReturnsMatch()
    {
        TestActor.Tell(new Ping(1));
        TestActor.Tell("noise");
        TestActor.Tell(new Ping(2));

        var ping = FishForMessage<Ping>(p => p.N == 2);

        Assert.Equal(2, ping.N);
    }

    [Fact]
    public void FishForMessage_NoMatch_MessageListsSkipped()
    {
        TestActor.Tell("noise");

        var ex = Assert.Throws<ExpectationFailedException>(() => FishForMessage(m => m is Ping, TimeSpan.FromMilliseconds(200)));

        Assert.Contains("skipped 1: String: \"noise\"", ex.Message);
    }

    [Fact]
    public void Within_ExpectationInside_UsesRemainingTimeAndFailsWhenSlow()
    {
        var ex = Assert.Throws<ExpectationFailedException>(() => Within(TimeSpan.FromMilliseconds(200), () => ExpectMsg<Ping>()));

        Assert.Contains("nothing received", ex.Message);
    }

    [Fact]
    public void Within_BlockTooSlow_Fails()
    {
        var ex = Assert.Throws<ExpectationFailedException>(() => Within(TimeSpan.FromMilliseconds(50), () => Thread.Sleep(200)));

        Assert.Contains("Within(50 ms)", ex.Message);
    }

    [Fact]
    public async Task WithinAsync_FastBlock_Passes()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>());

        await WithinAsync(TimeSpan.FromSeconds(5), async () =>
        {
            var reply = await echo.Ask<Ping>(new Ping(1), TimeSpan.FromSeconds(5));
            Assert.Equal(1, reply.N);
        });
    }

    [Fact]
    public void AwaitAssert_BecomesTrue_Passes()
    {
        int polls = 0;

        AwaitAssert(() => Assert.True(++polls >= 3), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));

        Assert.Equal(3, polls);
    }

    [Fact]
    public void AwaitAssert_NeverTrue_FailsQuotingLastFailure()
    {
        var ex = Assert.Throws<ExpectationFailedException>(() =>
            AwaitAssert(() => throw new InvalidOperationException("still broken"), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10)));

        Assert.Contains("still broken", ex.Message);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
    }

    [Fact]
    public async Task AwaitConditionAsync_BecomesTrue_Passes()
    {
        int polls = 0;

        await AwaitConditionAsync(() => ++polls >= 3, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));

        Assert.Equal(3, polls);
    }

    [Fact]
    public async Task AwaitConditionAsync_NeverTrue_FailsQuotingTheMessage()
    {
        var ex = await Assert.ThrowsAsync<ExpectationFailedException>(() =>
            AwaitConditionAsync(() => false, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10), "the door stays shut"));

        Assert.Contains("the door stays shut", ex.Message);
    }

    [Fact]
    public void ExpectTerminated_OtherMessage_MessageNamesIt()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>(), "alive");
        TestActor.Tell("not a termination");

        var ex = Assert.Throws<ExpectationFailedException>(() => ExpectTerminated(echo));

        Assert.Contains("expected Terminated(edsrt://test/user/alive)", ex.Message);
        Assert.Contains("String: \"not a termination\"", ex.Message);
    }

    [Fact]
    public void TestProbe_Reply_GoesToLastSender()
    {
        var probe = CreateTestProbe("server");

        probe.Tell(new Ping(1), TestActor);
        probe.ExpectMsg(new Ping(1));
        probe.Reply(new Pong(1));

        ExpectMsg(new Pong(1));
        Assert.Equal(probe, LastSender);
    }

    [Fact]
    public void TestScheduler_Advance_RunsDueActionsInOrder()
    {
        var clock = new TestScheduler();
        var order = new List<string>();
        clock.ScheduleOnce(TimeSpan.FromSeconds(2), () => order.Add("two"));
        clock.ScheduleOnce(TimeSpan.FromSeconds(1), () => order.Add("one"));
        var cancelled = clock.ScheduleOnce(TimeSpan.FromSeconds(1.5), () => order.Add("never"));
        cancelled.Cancel();
        clock.ScheduleRepeatedly(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), () => order.Add("tick"));

        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(new[] { "one", "tick", "two", "tick" }, order);
    }

    [Fact]
    public async Task AutoPilot_AnswersEachMessageAndTheProbeStillRecordsIt()
    {
        var probe = CreateTestProbe("pilot");
        probe.SetAutoPilot((sender, message) =>
        {
            if (message is Ping ping)
            {
                sender.Tell(new Pong(ping.N * 10), probe);
            }
        });

        var first = await probe.Ask<Pong>(new Ping(2), TimeSpan.FromSeconds(5));
        var second = await probe.Ask<Pong>(new Ping(3), TimeSpan.FromSeconds(5));

        Assert.Equal(new Pong(20), first);
        Assert.Equal(new Pong(30), second);
        Assert.Equal(new Ping(2), probe.ExpectMsg<Ping>());
        Assert.Equal(new Ping(3), probe.ExpectMsg<Ping>());

        probe.SetAutoPilot(null);
        probe.Tell(new Ping(4), TestActor);
        probe.ExpectMsg(new Ping(4));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
