namespace Edsos.Host.Cluster;

/// <summary>
/// Watches a node process's close once its run ended: the close goes through named steps (<see cref="Step"/>), and a
/// close still going after <see cref="Patience"/> prints one line naming the step it is in, and again each further
/// <see cref="Patience"/>, so a close that hangs says where (the coordinator keeps a node's last lines when it has to
/// kill it). Printing only: the close itself is not cut short.
/// </summary>
internal sealed class ClosingWatch : IDisposable
{
    /// <summary>How long a close may take before the watch speaks.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(8);

    private readonly TextWriter _output;
    private readonly string _who;
    private readonly System.Diagnostics.Stopwatch _since = System.Diagnostics.Stopwatch.StartNew();
    private readonly ManualResetEventSlim _done = new();
    private volatile string _step = string.Empty;
    private int _started;

    public ClosingWatch(TextWriter output, string who)
    {
        _output = output;
        _who = who;
    }

    /// <summary>The close entered <paramref name="step"/>; the first step starts the watch.</summary>
    public void Step(string step)
    {
        _step = step;
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _since.Restart();

            // A thread of its own, not a timer: a close stuck because the thread pool is would stop a timer too.
            new Thread(Watch) { IsBackground = true, Name = "edsos-closing-watch" }.Start();
        }
    }

    /// <summary>The close is done: the watch stops.</summary>
    public void Dispose() => _done.Set();

    private void Watch()
    {
        while (!_done.Wait(Patience))
        {
            _output.WriteLine($"{_who}: still closing after {_since.Elapsed.TotalSeconds:0} s, at: {_step}; threads {System.Diagnostics.Process.GetCurrentProcess().Threads.Count}, thread-pool threads {ThreadPool.ThreadCount}, pending work items {ThreadPool.PendingWorkItemCount}");
            _output.Flush();
        }
    }
}
