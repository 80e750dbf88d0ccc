using Edsos.Memory;
using Edsos.Scheduler.Faults;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Scheduler.Tests.Faults;

public sealed class FaultInjectorSpec : EdsrtTestKit
{
    [Fact]
    public void Hit_NothingArmed_ReturnsNoneAndRecordsNothing()
    {
        Assert.False(Sys.Faults.IsArmed);
        Assert.Equal(FaultKind.None, Sys.Faults.Hit(TestPoints.Dma));
        Assert.Empty(Sys.Faults.Firings);
    }

    [Fact]
    public async Task Hit_AfterHitsAndTimes_FiresOnTheRightHitsOnly()
    {
        using var armed = Sys.Faults.Arm(new FaultSpec(FaultKind.DmaFail, TestPoints.Dma) { AfterHits = 2, Times = 2 });

        var results = Enumerable.Range(0, 6).Select(_ => Sys.Faults.Hit(TestPoints.Dma)).ToArray();

        Assert.Equal([FaultKind.None, FaultKind.None, FaultKind.DmaFail, FaultKind.DmaFail, FaultKind.None, FaultKind.None], results);
        Assert.Equal(2, armed.FiredCount);
        Assert.Equal(3, (await armed.FirstFiring).Hit);
        Assert.Equal(2, Sys.Faults.Firings.Count);
    }

    [Fact]
    public void Hit_OtherPointOrKindNotAccepted_DoesNotCount()
    {
        using var armed = Sys.Faults.Arm(new FaultSpec(FaultKind.RingFull, TestPoints.DescriptorsPosted));

        Assert.Equal(FaultKind.None, Sys.Faults.Hit(TestPoints.Dma));
        Assert.Equal(FaultKind.None, Sys.Faults.Hit(TestPoints.DescriptorsPosted, accept: FaultKind.TsExit | FaultKind.DriverCrash));
        Assert.Equal(0, armed.Hits);
        Assert.Equal(FaultKind.RingFull, Sys.Faults.Hit(TestPoints.DescriptorsPosted, accept: FaultKind.RingFull));
    }

    [Fact]
    public void Hit_Disarmed_NoLongerFires()
    {
        var armed = Sys.Faults.Arm(new FaultSpec(FaultKind.QdiscFull, TestPoints.Qdisc));
        armed.Dispose();

        Assert.Equal(FaultKind.None, Sys.Faults.Hit(TestPoints.Qdisc));
        Assert.False(Sys.Faults.IsArmed);
    }

    [Fact]
    public void Hit_OriginFilter_OnlySubjectsFromThatTsCount()
    {
        var memory = Sys.Memory;
        var app = memory.CreateTs("/user_proc/a", TsKind.User).Unwrap();
        var other = memory.CreateTs("/user_proc/b", TsKind.User).Unwrap();
        var socket = memory.CreateTs("/net/sockets/s", TsKind.Kernel).Unwrap();
        var mine = Share(memory, app, socket, "mine");
        var theirs = Share(memory, other, socket, "theirs");
        using var armed = Sys.Faults.Arm(new FaultSpec(FaultKind.QdiscFull, TestPoints.Qdisc) { Origin = app });

        Assert.Equal(FaultKind.None, Sys.Faults.Hit(TestPoints.Qdisc, socket, theirs));
        Assert.Equal(FaultKind.QdiscFull, Sys.Faults.Hit(TestPoints.Qdisc, socket, mine));
    }

    [Fact]
    public void Hit_DriverCrash_ThrowsInjectedFault()
    {
        using var armed = Sys.Faults.Arm(new FaultSpec(FaultKind.DriverCrash, TestPoints.Completion));

        var thrown = Assert.Throws<InjectedFaultException>(() => Sys.Faults.Hit(TestPoints.Completion));

        Assert.Equal(TestPoints.Completion, thrown.Point);
        Assert.Single(Sys.Faults.Firings);
    }

    [Fact]
    public async Task Hit_TsExitFromAnActorInsideTheExitingTs_LiftsAtOnceAndExitsWithoutDeadlock()
    {
        // Arrange: an actor bound to a child of the user TS (as a KPN is) hits the point.
        var memory = Sys.Memory;
        var user = memory.CreateTs("/user_proc/app", TsKind.User).Unwrap();
        var socket = memory.CreateTs("/net/sockets/s1", TsKind.Kernel).Unwrap();
        var ctrn = Share(memory, user, socket, "send_q/1");
        var hitter = ActorOf(Props.Create(() => new Hitter(socket, ctrn)).WithTs("/user_proc/app/sysagent/kpn"));
        Watch(hitter);
        using var armed = Sys.Faults.Arm(new FaultSpec(FaultKind.TsExit, TestPoints.KpnShare) { Target = user });

        // Act
        hitter.Tell("hit", TestActor);

        // Assert: the lift happened inside the hit (the actor saw the CTRN revoked), then the exit stopped it.
        Assert.Equal(MemoryError.InvalidGva, ExpectMsg<MemoryError>());
        ExpectTerminated(hitter);
        var firing = await armed.FirstFiring.WaitAsync(TimeSpan.FromSeconds(10));
        await firing.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("/user_proc/app", firing.TargetPath);
        Assert.Contains("/net/sockets/s1/send_q/1", firing.LiftedCtrns);
        Assert.True(firing.Lift!.CtrnsRevoked >= 1);
        Assert.False(memory.GetTs(user).Alive);
    }

    [Fact]
    public void Arm_UnsupportedOrIncomplete_Throws()
    {
        Assert.Throws<ArgumentException>(() => Sys.Faults.Arm(new FaultSpec(FaultKind.DmaFail, TestPoints.KpnShare)));
        Assert.Throws<ArgumentException>(() => Sys.Faults.Arm(new FaultSpec(FaultKind.TsExit, TestPoints.Dma)));
        Assert.Throws<ArgumentException>(() => Sys.Faults.Arm(new FaultSpec(FaultKind.SocketClose, TestPoints.Dma)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sys.Faults.Arm(new FaultSpec(FaultKind.DmaFail, TestPoints.Dma) { AfterHits = -1 }));
        Assert.False(Sys.Faults.IsArmed);
    }

    private static Capability Share(MemoryManager memory, TsId from, TsId to, string name)
    {
        var buffer = memory.Push(from, name.Replace('/', '_'), 64).Unwrap();
        var gva = memory.Inspect(from, buffer).Unwrap().Gva;
        return memory.CtShare(from, buffer, gva, 64, to, name, Rights.Read | Rights.Share | Rights.Map).Unwrap();
    }

    private sealed class Hitter : EdsrtActor
    {
        public Hitter(TsId socket, Capability ctrn)
        {
            Receive<string>(_ =>
            {
                Context.System.Faults.Hit(TestPoints.KpnShare, socket, ctrn);
                Sender.Tell(Context.System.Memory.Inspect(socket, ctrn).Error);
            });
        }
    }
}
