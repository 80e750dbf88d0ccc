using Edsos.Memory;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Scheduler.Tests;

public sealed class TreeSpaceSpec : EdsrtTestKit
{
    [Fact]
    public void WithTs_NewPath_TreeSpaceCreatedAndActorBound()
    {
        var actor = ActorOf(Props.Create<TsReporter>().WithTs("/net/sockets/sock_1"));

        actor.Tell("where", TestActor);

        var where = ExpectMsg<Where>();
        Assert.Equal("/net/sockets/sock_1", where.Path);
        Assert.Equal(Sys.Memory.FindTs("/net/sockets/sock_1").Value, where.Ts);
    }

    [Fact]
    public void ActorOf_NoTs_BoundToRootTreeSpace()
    {
        var actor = ActorOf(Props.Create<TsReporter>());

        actor.Tell("where", TestActor);

        Assert.Equal(Sys.Memory.Root, ExpectMsg<Where>().Ts);
    }

    [Fact]
    public void ActorOf_Child_InheritsParentTreeSpaceUnlessItNamesOne()
    {
        var parent = ActorOf(Props.Create<TsReporter>().WithTs("/net/ipv4/tx"));

        parent.Tell(Props.Create<TsReporter>(), TestActor);
        var inheriting = ExpectMsg<IActorRef>();
        parent.Tell(Props.Create<TsReporter>().WithTs("/net/ipv4/tx/queue0"), TestActor);
        var own = ExpectMsg<IActorRef>();
        inheriting.Tell("where", TestActor);
        var inherited = ExpectMsg<Where>();
        own.Tell("where", TestActor);
        var named = ExpectMsg<Where>();

        Assert.Equal("/net/ipv4/tx", inherited.Path);
        Assert.Equal("/net/ipv4/tx/queue0", named.Path);
    }

    [Fact]
    public void WithTs_TwoActorsSamePath_ShareOneTreeSpace()
    {
        var a = ActorOf(Props.Create<TsReporter>().WithTs("/drivers/net/e1000"));
        var b = ActorOf(Props.Create<TsReporter>().WithTs("/drivers/net/e1000"));

        a.Tell("where", TestActor);
        var first = ExpectMsg<Where>();
        b.Tell("where", TestActor);
        var second = ExpectMsg<Where>();

        Assert.Equal(first.Ts, second.Ts);
        Assert.Equal(2, Sys.ActorsIn(first.Ts).Count);
    }

    [Fact]
    public void WithTs_RelativePath_Throws()
    {
        Assert.Throws<ArgumentException>(() => Props.Create<TsReporter>().WithTs("net/x"));
    }

    [Fact]
    public async Task ExitTs_Subtree_StopsActorsOfTsAndDescendantsOnly()
    {
        var app = ActorOf(Props.Create<TsReporter>().WithTs("/user_proc/app"), "app");
        var helper = ActorOf(Props.Create<TsReporter>().WithTs("/user_proc/app/helper"), "helper");
        var kpn = ActorOf(Props.Create<TsReporter>().WithTs("/user_proc/sysagent/kpn"), "kpn");
        AwaitStarted(app, helper, kpn);
        Watch(app);
        Watch(helper);

        var exited = await Sys.ExitTsAsync("/user_proc/app");

        ExpectTerminated(helper);
        ExpectTerminated(app);
        Assert.Equal(new[] { "/user_proc/app/helper", "/user_proc/app" }, exited.Select(e => e.Path));
        kpn.Tell("where", TestActor);
        Assert.Equal("/user_proc/sysagent/kpn", ExpectMsg<Where>().Path);
    }

    [Fact]
    public async Task ExitTs_NodePushedInTs_NodeRevokedAndTsExitedSignalled()
    {
        var listener = CreateTestProbe("listener");
        Sys.EventStream.Subscribe(listener, typeof(TsExited));
        var socket = ActorOf(Props.Create<TsReporter>().WithTs("/net/sockets/sock_7"));
        socket.Tell("where", TestActor);
        var ts = ExpectMsg<Where>().Ts;
        var node = Sys.Memory.Push(ts, "send_q", 4096).Unwrap();
        Assert.True(Sys.Memory.Inspect(ts, node).IsOk);
        Watch(socket);

        await Sys.ExitTsAsync(ts);

        ExpectTerminated(socket);
        var exited = listener.ExpectMsg<TsExited>();
        Assert.Equal(ts, exited.Ts);
        Assert.Equal("/net/sockets/sock_7", exited.Path);
        Assert.Equal(1, exited.Report.NodesRevoked);
        Assert.False(Sys.Memory.Inspect(ts, node).IsOk);
        Assert.False(Sys.Memory.GetTs(ts).Alive);
        Assert.Empty(Sys.ActorsIn(ts));
    }

    [Fact]
    public async Task ExitTs_ActorParentOfActorInOtherTs_ChildStoppedWithIt()
    {
        var parent = ActorOf(Props.Create<TsReporter>().WithTs("/user_proc/p"));
        parent.Tell(Props.Create<TsReporter>().WithTs("/net/sockets/owned"), TestActor);
        var child = ExpectMsg<IActorRef>();
        AwaitStarted(parent, child);
        Watch(child);

        await Sys.ExitTsAsync("/user_proc/p");

        ExpectTerminated(child);
    }

    [Fact]
    public async Task ExitTs_UnknownPath_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Sys.ExitTsAsync("/no/such/ts"));
    }

    [Fact]
    public async Task WithTs_AfterExit_TreeSpaceRevivedForNewActor()
    {
        var first = ActorOf(Props.Create<TsReporter>().WithTs("/net/sockets/again"));
        AwaitStarted(first);
        Watch(first);
        await Sys.ExitTsAsync("/net/sockets/again");
        ExpectTerminated(first);

        var second = ActorOf(Props.Create<TsReporter>().WithTs("/net/sockets/again"));
        second.Tell("where", TestActor);

        var where = ExpectMsg<Where>();
        Assert.True(Sys.Memory.GetTs(where.Ts).Alive);
    }

    public sealed record Where(TsId Ts, string Path);

    // Akka constructs an actor (and binds its TS) after ActorOf returns: a reply says it is bound.
    private void AwaitStarted(params IActorRef[] actors)
    {
        foreach (var actor in actors)
        {
            actor.Tell("where", TestActor);
            ExpectMsg<Where>();
        }
    }

    private sealed class TsReporter : EdsrtActor
    {
        public TsReporter()
        {
            Receive<string>(_ => Sender.Tell(new Where(Ts, TsPath)));
            Receive<Props>(p => Sender.Tell(Context.ActorOf(p)));
        }
    }
}
