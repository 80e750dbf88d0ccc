using System.Diagnostics;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>
/// What a <see cref="DriverTxWorker"/> keeps across a restart by its supervisor: the queue of
/// frames in flight (their pins, the ring) and the attached client. The fresh instance reads it
/// to recover instead of losing track of pinned pages and unanswered sends.
/// </summary>
public sealed class DriverTxState
{
    internal TxQueue<IActorRef>? Queue { get; set; }

    internal IActorRef? Client { get; set; }

    internal bool ClientBatches { get; set; }

    /// <summary>Transmits that arrived while the worker recovered, replayed once the fresh ring is programmed.</summary>
    internal Queue<DriverProtocol.XmitSkbEvent> Held { get; } = new();

    /// <summary>Trace causes of traced frames in flight (see the worker).</summary>
    internal Dictionary<(IActorRef ReplyTo, ulong Token), ActivityContext> Causes { get; } = [];

    /// <summary>Restarts survived (for statistics and tests).</summary>
    internal int Restarts { get; set; }
}
