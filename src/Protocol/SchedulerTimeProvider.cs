using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol;

/// <summary>
/// The runtime's clock as a <see cref="TimeProvider"/>, so the ARP cache and the reassembler age on
/// the same (possibly manual) time as the actors' timers that poll them.
/// </summary>
internal sealed class SchedulerTimeProvider : TimeProvider
{
    private readonly IScheduler _scheduler;

    public SchedulerTimeProvider(IScheduler scheduler)
    {
        _scheduler = scheduler;
    }

    public override DateTimeOffset GetUtcNow() => _scheduler.Now.ToUniversalTime();
}
