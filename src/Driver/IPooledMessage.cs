namespace Edsos.Driver;

/// <summary>
/// An event message that may come from a <see cref="MessagePool{T}"/>: its receiver hands it back with
/// <see cref="PooledMessageExtensions.ReturnHandled"/> once done with it (the rule is on <see cref="MessagePool{T}"/>).
/// </summary>
public interface IPooledMessage
{
    /// <summary>Puts the message back in its pool if it was rented and not yet returned; otherwise does nothing.</summary>
    void Return();
}
