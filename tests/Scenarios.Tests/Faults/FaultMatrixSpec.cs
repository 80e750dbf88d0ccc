using Edsos.Host.Faults;
using Edsos.Scheduler.Faults;

namespace Edsos.Scenarios.Tests.Faults;

/// <summary>
/// Every supported fault at every injection point of the send path (<see cref="FaultCatalog.Supported"/>),
/// each on two real hosts: app A's TS, socket, driver or NIC fails partway through its sends, and
/// the scenario checks that app A got exactly one result per syscall, no frame carried bytes of a
/// lifted page, the bystander app on A carried on, and nothing leaked once both hosts closed.
/// </summary>
public sealed class FaultMatrixSpec
{
    public static TheoryData<string> SendPathFaults()
    {
        var data = new TheoryData<string>();
        foreach (var pair in FaultCatalog.Supported)
        {
            if (pair.Point is not (FaultPoint.RxDma or FaultPoint.RxDriver or FaultPoint.RxSocketQueue))
            {
                data.Add(pair.ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SendPathFaults))]
    public async Task Send_FaultInjected_SystemBehavesAsDesigned(string fault)
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
        if (parsed.Kind == FaultKind.TsExit)
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

    [Fact]
    public async Task Send_NoFault_EverySyscallSucceedsAndNothingLeaks()
    {
        var result = await FaultScenario.RunAsync(new FaultScenarioOptions { Sends = 8 });

        Assert.True(result.Ok, string.Join("\n", result.Violations));
        Assert.Equal(result.Syscalls, result.SyscallResults["ok"]);
        Assert.False(result.FaultFired);
    }
}
