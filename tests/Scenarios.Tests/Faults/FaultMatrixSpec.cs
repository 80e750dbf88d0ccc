using Edsos.Driver;
using Edsos.Host.Faults;
using Edsos.Scheduler.Faults;

namespace Edsos.Scenarios.Tests.Faults;

/// <summary>
/// Every supported fault at every injection point (<see cref="FaultCatalog.Supported"/>), each on
/// two real hosts: on the send path app A's TS, socket, driver or NIC fails partway through its
/// sends; on the receive duals app B's, while it receives. The scenario checks that the app got
/// exactly one result per syscall, no frame carried bytes of a lifted page, the bystander app on
/// the same host carried on, and nothing leaked once both hosts closed.
/// </summary>
public sealed class FaultMatrixSpec
{
    public static TheoryData<string> AllFaults()
    {
        var data = new TheoryData<string>();
        foreach (var pair in FaultCatalog.Supported)
        {
            data.Add(pair.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllFaults))]
    public async Task Run_FaultInjected_SystemBehavesAsDesigned(string fault)
    {
        // Arrange
        Assert.True(FaultCatalog.TryParse(fault, out var parsed, out var error), error);

        // Act
        var result = await FaultScenario.RunAsync(new FaultScenarioOptions { Fault = parsed, Sends = 8 });

        // Assert
        Assert.True(result.Ok, $"{fault}:\n  " + string.Join("\n  ", result.Violations));
        Assert.True(result.FaultFired, $"{fault} never fired");
        Assert.Equal(0, result.FramesFromLiftedPages);
        Assert.Equal(0, result.LeakedPages);
        Assert.Equal(0, result.LeakedNodes);
        Assert.Equal(0, result.LeakedPins);
        Assert.DoesNotContain("none", result.SyscallResults.Keys);
        Assert.Equal(result.BystanderSends, result.BystanderOk);
        if (parsed.Kind == FaultKind.TsExit && !parsed.Point.IsReceive)
        {
            Assert.NotEmpty(result.LiftedCtrns);
        }

        if (parsed.Kind == FaultKind.DriverCrash)
        {
            Assert.Single(result.ActorFailures);
        }
        else
        {
            Assert.Empty(result.ActorFailures);
        }
    }

    [Theory]
    [MemberData(nameof(AllFaults))]
    public async Task Run_FaultIntoFragmentedDatagrams_SystemBehavesAsDesigned(string fault)
    {
        // Arrange: 8192 bytes are six IPv4 fragments per datagram (edsos demo --fault F --size 8192).
        Assert.True(FaultCatalog.TryParse(fault, out var parsed, out var error), error);

        // Act
        var result = await FaultScenario.RunAsync(new FaultScenarioOptions { Fault = parsed, Sends = 6, Size = 8192 });

        // Assert
        Assert.True(result.Ok, $"{fault}:\n  " + string.Join("\n  ", result.Violations));
        Assert.True(result.FaultFired, $"{fault} never fired");
        Assert.Equal(0, result.FramesFromLiftedPages);
        Assert.Equal(0, result.LeakedPages);
        Assert.Equal(0, result.LeakedPins);
        Assert.Equal(result.BystanderSends, result.BystanderOk);
    }

    [Fact]
    public async Task Send_NoFault_EverySyscallSucceedsAndNothingLeaks()
    {
        var result = await FaultScenario.RunAsync(new FaultScenarioOptions { Sends = 8 });

        Assert.True(result.Ok, string.Join("\n", result.Violations));
        Assert.Equal(result.Syscalls, result.SyscallResults["ok"]);
        Assert.False(result.FaultFired);
    }
}
