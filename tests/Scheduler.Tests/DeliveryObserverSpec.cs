using Akka.TestKit;
using Edsos.Testing;
using static Edsos.Scheduler.Tests.TestMessages;

namespace Edsos.Scheduler.Tests;

public sealed class DeliveryObserverSpec : EdsrtTestKit
{
    [Fact]
    public void ObserveDeliveries_ChainOfActors_ReportsEachHandledMessageInOrderWithItsTs()
    {
        var observed = CreateTestProbe("observed");
        var end = CreateTestProbe("end");
        var second = ActorOf(Props.Create(() => new Actors.Forwarder(end)).WithTs("/net/ipv4/tx"), "second");
        var first = ActorOf(Props.Create(() => new Actors.Forwarder(second)).WithTs("/net/sockets/sock_0x0001"), "first");
        // Probes are actors of this system too: report only the chain, or the observer would observe itself.
        using var subscription = Sys.ObserveDeliveries(d =>
        {
            if (d.Recipient.Equals(first) || d.Recipient.Equals(second))
            {
                observed.Tell(d);
            }
        });

        first.Tell(new Ping(1), TestActor);

        end.ExpectMsg(new Ping(1));
        var atFirst = observed.ExpectMsg<MessageDelivery>();
        Assert.Equal(first, atFirst.Recipient);
        Assert.Equal(TestActor, atFirst.Sender);
        Assert.Equal("/net/sockets/sock_0x0001", Sys.Memory.GetTs(atFirst.RecipientTs).Path);
        var atSecond = observed.ExpectMsg<MessageDelivery>();
        Assert.Equal(second, atSecond.Recipient);
        Assert.Equal(new Ping(1), atSecond.Message);
        Assert.Equal("/net/ipv4/tx", Sys.Memory.GetTs(atSecond.RecipientTs).Path);
    }

    [Fact]
    public void ObserveDeliveries_AfterDispose_ReportsNothing()
    {
        var observed = CreateTestProbe("observed");
        var echo = ActorOf(Props.Create<Actors.Echo>(), "echo");
        var subscription = Sys.ObserveDeliveries(d =>
        {
            if (d.Recipient.Equals(echo))
            {
                observed.Tell(d);
            }
        });
        subscription.Dispose();

        echo.Tell(new Ping(2), TestActor);

        ExpectMsg(new Ping(2));
        observed.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
