using System.Runtime;

namespace Edsos.Host.Bench;

/// <summary>
/// Whether the JIT has gone quiet, for the benches' warm-up. Tiered compilation promotes the hot methods in the
/// background (thousands of them in a run of two hosts, through an instrumented tier first); on a busy 2-core machine it
/// may still be at it when two slow warm-up runs happen to agree, and then whole repetitions run partly on tier-0 code
/// (measured: a 65507-byte echo at a third of its rate). A warm-up run counts as settled only if at most
/// <see cref="QuietMethods"/> methods were compiled while it ran (a run's own start-up, new hosts and their actors,
/// compiles a few dozen).
/// </summary>
internal readonly struct JitQuiet
{
    /// <summary>Most methods compiled during a warm-up run that still counts as quiet.</summary>
    public const int QuietMethods = 100;

    private readonly long _before;

    private JitQuiet(long before) => _before = before;

    /// <summary>Methods the JIT compiled since <see cref="Start"/>.</summary>
    public long Compiled => JitInfo.GetCompiledMethodCount() - _before;

    /// <summary>True when no more than <see cref="QuietMethods"/> were compiled since <see cref="Start"/>.</summary>
    public bool IsQuiet => Compiled <= QuietMethods;

    /// <summary>Starts counting at the beginning of a warm-up run.</summary>
    public static JitQuiet Start() => new(JitInfo.GetCompiledMethodCount());
}
