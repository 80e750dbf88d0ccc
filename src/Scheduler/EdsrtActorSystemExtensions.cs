using Akka.Actor;
using Edsos.Memory;
using Edsos.Scheduler.Faults;

namespace Edsos.Scheduler;

/// <summary>
/// EDSRT's members on Akka's <see cref="ActorSystem"/> (C# extension members over
/// <see cref="EdsrtExtension"/>): <c>system.Memory</c>, <c>system.Faults</c>, <c>system.Tracing</c>,
/// <c>system.ExitTsAsync(ts)</c> and the rest read as if the system had them.
/// </summary>
public static class EdsrtActorSystemExtensions
{
    extension(ActorSystem system)
    {
        /// <summary>The host's EDSRT extension.</summary>
        public EdsrtExtension Edsrt => EdsrtExtension.Get(system);

        /// <summary>The host's memory manager.</summary>
        public MemoryManager Memory => EdsrtExtension.Get(system).Memory;

        /// <summary>The host's fault injector.</summary>
        public FaultInjector Faults => EdsrtExtension.Get(system).Faults;

        /// <summary>The host's tracing.</summary>
        public ActorTracing Tracing => EdsrtExtension.Get(system).Tracing;

        /// <summary>See <see cref="EdsrtExtension.ExitTsAsync(TsId)"/>.</summary>
        public Task<IReadOnlyList<TsExited>> ExitTsAsync(TsId ts) => EdsrtExtension.Get(system).ExitTsAsync(ts);

        /// <summary>See <see cref="EdsrtExtension.ExitTsAsync(string)"/>.</summary>
        public Task<IReadOnlyList<TsExited>> ExitTsAsync(string tsPath) => EdsrtExtension.Get(system).ExitTsAsync(tsPath);

        /// <summary>See <see cref="EdsrtExtension.ActorsIn"/>.</summary>
        public IReadOnlyList<IActorRef> ActorsIn(TsId ts) => EdsrtExtension.Get(system).ActorsIn(ts);

        /// <summary>See <see cref="EdsrtExtension.ObserveDeliveries"/>.</summary>
        public IDisposable ObserveDeliveries(Action<MessageDelivery> observer) => EdsrtExtension.Get(system).ObserveDeliveries(observer);

        /// <summary>
        /// Completes once <paramref name="actor"/> has stopped (after its <c>PostStop</c>): Akka's death watch
        /// for code outside actors. Completes at once for a reference that is not a live actor.
        /// </summary>
        public Task WhenStopped(IActorRef actor)
        {
            ArgumentNullException.ThrowIfNull(actor);
            return actor.WatchAsync();
        }
    }
}
