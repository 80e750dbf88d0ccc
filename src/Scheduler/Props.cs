using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Edsos.Scheduler;

/// <summary>
/// An immutable recipe for an actor: how to build an instance (again on every restart), which strategy it
/// uses for its own children and which tree space it is bound to. <c>With*</c> methods return a copy.
/// </summary>
public sealed class Props
{
    private readonly Func<IServiceProvider, ActorBase> _factory;

    private Props(Type actorType, Func<IServiceProvider, ActorBase> factory, bool usesServices, SupervisorStrategy? supervisorStrategy, string? tsPath)
    {
        ActorType = actorType;
        _factory = factory;
        UsesServices = usesServices;
        SupervisorStrategy = supervisorStrategy;
        TsPath = tsPath;
    }

    /// <summary>The type of actor the props build.</summary>
    public Type ActorType { get; }

    /// <summary>True when instances are built by dependency injection (a service scope per instance).</summary>
    public bool UsesServices { get; }

    /// <summary>The strategy the actor applies to its children; null means the actor's own <c>SupervisorStrategy()</c>.</summary>
    public SupervisorStrategy? SupervisorStrategy { get; }

    /// <summary>The tree space path the actor is bound to; null means its parent's tree space.</summary>
    public string? TsPath { get; }

    /// <summary>
    /// Builds <typeparamref name="TActor"/> by calling the public constructor that matches
    /// <paramref name="args"/>. A missing constructor surfaces as the actor's initialization failure.
    /// </summary>
    public static Props Create<TActor>(params object?[] args)
        where TActor : ActorBase
    {
        var copy = args.Length == 0 ? args : (object?[])args.Clone();
        return new Props(typeof(TActor), _ => CreateByReflection(typeof(TActor), copy), false, null, null);
    }

    /// <summary>Builds the actor by calling <paramref name="factory"/> (for example <c>() => new Worker(42)</c>) on every start and restart.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is null.</exception>
    public static Props Create<TActor>(Func<TActor> factory)
        where TActor : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(TActor), _ => factory(), false, null, null);
    }

    /// <summary>
    /// Builds <typeparamref name="TActor"/> with <see cref="ActivatorUtilities.CreateInstance(IServiceProvider, Type, object[])"/>
    /// from the system's service provider: constructor parameters are resolved from the container, with
    /// <paramref name="args"/> supplying those it does not hold. Each instance gets its own service scope,
    /// disposed when the instance stops or is replaced by a restart. A service that cannot be resolved
    /// surfaces as the actor's initialization failure.
    /// </summary>
    public static Props FromServices<TActor>(params object[] args)
        where TActor : ActorBase
    {
        var copy = args.Length == 0 ? args : (object[])args.Clone();
        return new Props(typeof(TActor), services => (ActorBase)ActivatorUtilities.CreateInstance(services, typeof(TActor), copy), true, null, null);
    }

    /// <summary>Returns props whose actor supervises its children with <paramref name="strategy"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="strategy"/> is null.</exception>
    public Props WithSupervisorStrategy(SupervisorStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new Props(ActorType, _factory, UsesServices, strategy, TsPath);
    }

    /// <summary>
    /// Returns props whose actor is bound to the tree space at <paramref name="path"/> (for example
    /// <c>/net/sockets/sock_1</c>); the tree space and missing ancestors are created when the actor is.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not start with '/'.</exception>
    public Props WithTs(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path[0] != '/')
        {
            throw new ArgumentException($"a tree space path starts with '/': '{path}'", nameof(path));
        }

        return new Props(ActorType, _factory, UsesServices, SupervisorStrategy, path);
    }

    internal ActorBase NewActor(IServiceProvider services) => _factory(services);

    /// <inheritdoc />
    public override string ToString() => $"Props({ActorType.Name}{(TsPath is null ? string.Empty : ", ts " + TsPath)})";

    private static ActorBase CreateByReflection(Type type, object?[] args)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DoNotWrapExceptions;
        return (ActorBase)Activator.CreateInstance(type, flags, null, args, null)!;
    }
}
