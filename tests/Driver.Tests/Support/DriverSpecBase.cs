using Edsos.Driver.Wires;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;
using Akka.TestKit;
using Edsos.Testing;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests.Support;

/// <summary>
/// Shared arrange steps of the driver specs: a system with enough arena for two NICs, an skb
/// factory standing in for the protocol layer, and generous timeouts for a loaded 2-core box.
/// </summary>
public abstract class DriverSpecBase : EdsrtTestKit
{
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    protected DriverSpecBase()
        : base(new EdsrtTestKitOptions
        {
            DefaultTimeout = TimeSpan.FromSeconds(20),
            ConfigureSystem = options =>
            {
                options.PrivateMemoryPages = 2048;
                options.DispatcherThreads = 2;
            },
        })
    {
        Skbs = new SkbFactory(Sys.Memory);
    }

    protected MemoryManager Memory => Sys.Memory;

    internal SkbFactory Skbs { get; }

    protected static NicOptions Small(string name, int txRing = 32, int rxRing = 32, int budget = 64) => new()
    {
        Name = name,
        TxRingSize = txRing,
        RxRingSize = rxRing,
        NapiBudget = budget,
    };

    protected Task<NicHandle> StartAsync(NicOptions options, IWire wire) => NicDriver.StartAsync(Sys, options, wire, Long);

    internal Skb Send(NicHandle nic, byte[] header, byte[] payload, ulong token, IActorRef replyTo)
    {
        var skb = Skbs.Build(nic.DriverTs, header, payload, $"{nic.Name}_{token}");
        nic.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: token, ReplyTo: replyTo), replyTo);
        return skb;
    }

    protected void AssertNoLeak()
    {
        var report = Memory.GetLeakReport();
        Assert.True(report.IsClean, report.ToString());
    }
}
