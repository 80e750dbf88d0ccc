namespace Edsos.Host.Tests;

/// <summary>
/// The test classes that start real <c>edsos</c> processes and time them (signals within seconds, cluster
/// failure detection): one collection, so xunit runs them one after another rather than side by side on the
/// 2 cores, where a cluster run's three processes would slow a signal test past its bound.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessTestCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "edsos processes";
}
