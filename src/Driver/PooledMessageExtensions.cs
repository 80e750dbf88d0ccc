using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>How a receiver hands a pooled message back (<see cref="MessagePool{T}"/> states the rule).</summary>
public static class PooledMessageExtensions
{
    /// <summary>
    /// The receiver is done with <paramref name="message"/>: it goes back to its pool, unless a delivery
    /// observer is attached to <paramref name="edsrt"/> (an observer may still hold it) or it was never rented.
    /// Call it as the handler's last use of the message, never while anything else keeps it.
    /// </summary>
    public static void ReturnHandled(this EdsrtExtension edsrt, IPooledMessage message)
    {
        ArgumentNullException.ThrowIfNull(edsrt);
        ArgumentNullException.ThrowIfNull(message);
        if (!edsrt.HasDeliveryObservers)
        {
            message.Return();
        }
    }
}
