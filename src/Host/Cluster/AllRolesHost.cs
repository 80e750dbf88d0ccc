using Akka.Actor;
using Edsos.Driver;
using Edsos.Kpn;
using Edsos.Memory;

namespace Edsos.Host.Cluster;

/// <summary>An <c>edsos node --role all</c>: the one-process <see cref="EdsosHost"/>, unchanged, as an <see cref="INodeHost"/>.</summary>
internal sealed class AllRolesHost(EdsosHost host) : INodeHost
{
    public ActorSystem System => host.System;

    public MemoryManager Memory => host.Memory;

    public IReadOnlyList<string> LeakScope { get; } = ["/"];

    public (int Processes, int LiftedNodes, int LiftedCtrns) Reaped => (0, 0, 0);

    public IReadOnlyList<string> Events => [];

    public IReadOnlyList<long> DeathsHandledAt => [];

    public Task<Libc> StartProcessAsync(string name, CancellationToken stop) => Task.FromResult(host.StartProcess(name));

    public async Task<long> FramesSentAsync() => (await NicDriver.GetStatisticsAsync(host.Nic).ConfigureAwait(false)).FramesSent;

    public Task StopAsync() => host.StopAsync();

    public ValueTask DisposeAsync() => host.DisposeAsync();
}
