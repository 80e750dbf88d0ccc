using Edsos.Driver;

namespace Edsos.Protocol.Qdisc;

/// <summary>
/// The qdisc's count of the driver's TX ring (netif_queue_stopped / netif_wake_queue): free descriptors =
/// ring size − descriptors of frames handed over and not completed. A frame's descriptors are counted by
/// <see cref="TxDescriptorBudget"/>, the rule the driver writes them by, so this count and the ring agree.
/// </summary>
/// <remarks>
/// The ring is used by one qdisc alone. Its size is learnt from a <see cref="DriverProtocol.TxCredit"/> that
/// arrives while nothing is in flight (the first one, after <see cref="DriverProtocol.AttachTx"/>); a credit
/// that arrives with frames in flight cannot be told apart from frames still in the driver's mailbox, so it
/// only wakes the queue. Not thread-safe: one actor owns it.
/// </remarks>
public sealed class TxCreditLedger
{
    /// <summary>The ring's size as learnt; 0 until the driver first reported it.</summary>
    public int RingSize { get; private set; }

    /// <summary>Descriptors of frames handed to the driver and not completed.</summary>
    public int InFlightDescriptors { get; private set; }

    /// <summary>Frames handed to the driver and not completed.</summary>
    public int InFlightFrames { get; private set; }

    /// <summary>Descriptors free for new frames (negative never: a frame is only taken when it fits).</summary>
    public int Credit => RingSize - InFlightDescriptors;

    /// <summary>True when no frame may go (a stopped queue: do not even dequeue).</summary>
    public bool Stopped => Credit <= 0;

    /// <summary>
    /// A <see cref="DriverProtocol.TxCredit"/> arrived with <paramref name="freeDescriptors"/>: taken as the
    /// ring size when nothing is in flight, otherwise ignored (the caller still wakes the queue).
    /// </summary>
    public void OnCredit(int freeDescriptors)
    {
        if (InFlightFrames == 0)
        {
            RingSize = freeDescriptors;
        }
    }

    /// <summary>
    /// True when a frame of <paramref name="descriptors"/> may go now: the ring size is known and the frame
    /// fits the credit, or (never stall) the frame is larger than the whole ring and the ring is idle, so the
    /// driver can refuse it rather than the queue wait for room that never comes.
    /// </summary>
    public bool CanSend(int descriptors) =>
        RingSize > 0 && (descriptors <= Credit || (descriptors > RingSize && InFlightFrames == 0));

    /// <summary>A frame of <paramref name="descriptors"/> was handed to the driver.</summary>
    public void Take(int descriptors)
    {
        InFlightDescriptors += descriptors;
        InFlightFrames++;
    }

    /// <summary>A frame of <paramref name="descriptors"/> completed (sent or refused by the driver).</summary>
    /// <exception cref="InvalidOperationException">More frames or descriptors returned than taken (a bookkeeping bug).</exception>
    public void Return(int descriptors)
    {
        if (InFlightFrames == 0 || descriptors > InFlightDescriptors)
        {
            throw new InvalidOperationException($"Returned {descriptors} descriptors with {InFlightFrames} frames ({InFlightDescriptors} descriptors) in flight.");
        }

        InFlightDescriptors -= descriptors;
        InFlightFrames--;
    }

    /// <summary>Forgets every frame in flight (the stack's release: the driver pops its own CTRNs).</summary>
    public void Clear()
    {
        InFlightDescriptors = 0;
        InFlightFrames = 0;
    }
}
