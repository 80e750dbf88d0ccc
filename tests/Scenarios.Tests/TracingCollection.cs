namespace Edsos.Scenarios.Tests;

/// <summary>
/// The tracing specs run one at a time: activity listeners are process-wide, and the
/// tracing-off spec must not run while another spec's tracer provider listens. Each spec also
/// names its hosts uniquely, so other classes' hosts never feed its listeners.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing";
}
