namespace Edsos.Scheduler.TestKit;

/// <summary>Expectations on the default probe (<see cref="TestActor"/>); see <see cref="TestProbe"/> for their contracts.</summary>
public abstract partial class TestKitBase
{
    /// <inheritdoc cref="TestProbe.ExpectMsg{T}(TimeSpan?)"/>
    public T ExpectMsg<T>(TimeSpan? timeout = null) => _testActor.ExpectMsg<T>(timeout);

    /// <inheritdoc cref="TestProbe.ExpectMsg{T}(T, TimeSpan?)"/>
    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null) => _testActor.ExpectMsg(expected, timeout);

    /// <inheritdoc cref="TestProbe.ExpectMsg{T}(Predicate{T}, TimeSpan?)"/>
    public T ExpectMsg<T>(Predicate<T> predicate, TimeSpan? timeout = null) => _testActor.ExpectMsg(predicate, timeout);

    /// <inheritdoc cref="TestProbe.ReceiveOne(TimeSpan?)"/>
    public ReceivedMessage ReceiveOne(TimeSpan? timeout = null) => _testActor.ReceiveOne(timeout);

    /// <inheritdoc cref="TestProbe.ReceiveN(int, TimeSpan?)"/>
    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? timeout = null) => _testActor.ReceiveN(count, timeout);

    /// <inheritdoc cref="TestProbe.ExpectNoMsg(TimeSpan)"/>
    public void ExpectNoMsg(TimeSpan duration) => _testActor.ExpectNoMsg(duration);

    /// <inheritdoc cref="TestProbe.FishForMessage(Predicate{object}, TimeSpan?)"/>
    public object FishForMessage(Predicate<object> isMessage, TimeSpan? timeout = null) => _testActor.FishForMessage(isMessage, timeout);

    /// <inheritdoc cref="TestProbe.FishForMessage{T}(Predicate{T}, TimeSpan?)"/>
    public T FishForMessage<T>(Predicate<T> isMessage, TimeSpan? timeout = null) => _testActor.FishForMessage(isMessage, timeout);
}
