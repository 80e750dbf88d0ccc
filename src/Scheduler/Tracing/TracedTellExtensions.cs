using Akka.Actor;

namespace Edsos.Scheduler.Tracing;

/// <summary>Tells that keep the trace context across an Akka.Remote boundary.</summary>
public static class TracedTellExtensions
{
    private static readonly Lock s_gate = new();
    private static (IActorRefProvider Provider, IRemoteTellRoute Route)[] s_routes = [];

    /// <summary>
    /// Tells <paramref name="message"/> to <paramref name="target"/>; when the target lives in another
    /// actor system reached over the network and this thread has a trace context, the message travels
    /// wrapped in a <see cref="Traced"/> so the far side's handler span joins the sender's trace. A local
    /// target gets the plain message (its mailbox keeps the context itself).
    /// </summary>
    /// <remarks>
    /// A remote target whose actor system has a registered <see cref="IRemoteTellRoute"/> gets the message by that
    /// route when it reaches the target's process; every other remote tell goes over Akka.Remote.
    /// </remarks>
    public static void TellTraced(this IActorRef target, object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var context = TracingMessageQueue.Capture();
        bool remote = target.Path.Address.HasGlobalScope;
        var from = sender ?? ActorCell.GetCurrentSelfOrNoSender();
        if (remote && s_routes.Length > 0 && RouteFor(target) is { } route && route.TryTell(target, message, from, context))
        {
            return;
        }

        target.Tell(remote && context != default ? Traced.Wrap(message, context) : message, from);
    }

    /// <summary>
    /// Makes <paramref name="route"/> carry this process's <see cref="TellTraced"/> calls to remote actors known to
    /// <paramref name="system"/> (until <see cref="UnregisterRoute"/>); one route per actor system.
    /// </summary>
    public static void RegisterRoute(ActorSystem system, IRemoteTellRoute route)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(route);
        var provider = ((ExtendedActorSystem)system).Provider;
        lock (s_gate)
        {
            s_routes = [.. s_routes.Where(r => !ReferenceEquals(r.Provider, provider)), (provider, route)];
        }
    }

    /// <summary>Removes <paramref name="system"/>'s route, if any; its remote tells go over Akka.Remote again.</summary>
    public static void UnregisterRoute(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var provider = ((ExtendedActorSystem)system).Provider;
        lock (s_gate)
        {
            s_routes = [.. s_routes.Where(r => !ReferenceEquals(r.Provider, provider))];
        }
    }

    private static IRemoteTellRoute? RouteFor(IActorRef target)
    {
        if (target is not IInternalActorRef { Provider: var provider })
        {
            return null;
        }

        foreach (var (owner, route) in s_routes)
        {
            if (ReferenceEquals(owner, provider))
            {
                return route;
            }
        }

        return null;
    }
}
