using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>
/// What a <see cref="DriverRxWorker"/> keeps across a restart by its supervisor: its RX queue
/// (posted, pinned buffers and the ring) and the attached handler, so the fresh instance delivers
/// what the NIC already wrote and releases the rest instead of leaking pinned buffers.
/// </summary>
public sealed class DriverRxState
{
    internal RxQueue? Queue { get; set; }

    internal IActorRef? Handler { get; set; }

    internal TsId HandlerTs { get; set; }

    internal bool HandlerBatches { get; set; }
}
