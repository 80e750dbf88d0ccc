using Akka.Actor;

namespace Edsos.Scheduler;

/// <summary>The Akka extension id that creates one <see cref="EdsrtExtension"/> per actor system.</summary>
public sealed class EdsrtExtensionId : ExtensionIdProvider<EdsrtExtension>
{
    /// <inheritdoc />
    public override EdsrtExtension CreateExtension(ExtendedActorSystem system) => new(system);
}
