namespace Edsos.Host.Demo;

/// <summary>
/// The demo client's per-round echo timeout, reused across rounds: one cancellation source linked to the run's
/// stop token, armed with <see cref="Arm"/> for a round and reset when the round ends, so a round allocates no
/// source, no timer and no registration. A source that fired (the echo timed out, or the run was stopped) cannot be
/// reset and is replaced by a fresh one for the next round. Not thread-safe: one client loop owns it.
/// </summary>
internal sealed class EchoDeadline : IDisposable
{
    private readonly CancellationToken _stop;
    private CancellationTokenSource _source;

    /// <summary>A deadline whose token also fires when <paramref name="stop"/> does.</summary>
    public EchoDeadline(CancellationToken stop)
    {
        _stop = stop;
        _source = CancellationTokenSource.CreateLinkedTokenSource(stop);
    }

    /// <summary>Starts a round that times out after <paramref name="timeout"/>; dispose the round when it ends.</summary>
    public Round Arm(TimeSpan timeout)
    {
        _source.CancelAfter(timeout);
        return new Round(this, _source.Token);
    }

    /// <inheritdoc />
    public void Dispose() => _source.Dispose();

    private void Disarm()
    {
        if (!_source.TryReset())
        {
            _source.Dispose();
            _source = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        }
    }

    /// <summary>One armed round: <see cref="Token"/> fires at the deadline or on stop; disposing it disarms the deadline.</summary>
    public readonly struct Round : IDisposable
    {
        private readonly EchoDeadline _owner;

        internal Round(EchoDeadline owner, CancellationToken token)
        {
            _owner = owner;
            Token = token;
        }

        /// <summary>Cancelled when the round's time is up or the run is stopped.</summary>
        public CancellationToken Token { get; }

        /// <inheritdoc />
        public void Dispose() => _owner.Disarm();
    }
}
