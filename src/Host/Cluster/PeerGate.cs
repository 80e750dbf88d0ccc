namespace Edsos.Host.Cluster;

/// <summary>
/// What host A's echo client knows of its peer, as the cluster tells it (<see cref="ClusterProtocol.PeerStatus"/>):
/// up or down. <see cref="DownToken"/> is cancelled the moment the peer goes down, so a round waiting for an echo
/// that cannot come ends at once instead of at its timeout. Thread-safe: the agent sets it, the client reads it.
/// </summary>
internal sealed class PeerGate
{
    private readonly object _gate = new();
    private CancellationTokenSource _down = new();
    private TaskCompletionSource _up = NewUp(completed: true);

    /// <summary>True while the peer is down.</summary>
    public bool IsDown
    {
        get
        {
            lock (_gate)
            {
                return _down.IsCancellationRequested;
            }
        }
    }

    /// <summary>Cancelled when the peer goes down; a fresh token after it comes back.</summary>
    public CancellationToken DownToken
    {
        get
        {
            lock (_gate)
            {
                return _down.Token;
            }
        }
    }

    /// <summary>The peer went down: cancels <see cref="DownToken"/>.</summary>
    public void SetDown()
    {
        lock (_gate)
        {
            if (_down.IsCancellationRequested)
            {
                return;
            }

            _up = NewUp(completed: false);
            _down.Cancel();
        }
    }

    /// <summary>The peer is back: a fresh <see cref="DownToken"/>, and <see cref="WaitUpAsync"/> returns.</summary>
    public void SetUp()
    {
        lock (_gate)
        {
            if (!_down.IsCancellationRequested)
            {
                return;
            }

            _down.Dispose();
            _down = new CancellationTokenSource();
            _up.TrySetResult();
        }
    }

    /// <summary>Waits until the peer is up (at most <paramref name="limit"/>); true when it is.</summary>
    public async Task<bool> WaitUpAsync(TimeSpan limit, CancellationToken stop)
    {
        Task up;
        lock (_gate)
        {
            up = _up.Task;
        }

        try
        {
            await up.WaitAsync(limit, stop).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private static TaskCompletionSource NewUp(bool completed)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            up.SetResult();
        }

        return up;
    }
}
