using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Edsos.Protocol.Wire;

namespace Edsos.Host.Peer;

/// <summary>
/// A network namespace this program created for the Linux peer: the TAP interface moved into it (and
/// renamed <see cref="InterfaceName"/>), the Linux side's address on it, it and <c>lo</c> up. Nothing is
/// routed out of it: the namespace has no other interface and no default route.
/// <para>
/// <see cref="Dispose"/> deletes the namespace (<c>ip netns del</c>). Every namespace still alive is also
/// deleted when the process exits normally (<see cref="AppDomain.ProcessExit"/>) and by
/// <see cref="DeleteAll"/>, which the SIGINT/SIGTERM handlers call, so a run leaves nothing behind.
/// Errors are values: <see cref="TryCreate"/> says which step failed and undoes the ones before.
/// </para>
/// </summary>
public sealed class LinuxNamespace : IDisposable
{
    /// <summary>The TAP interface's name inside the namespace.</summary>
    public const string InterfaceName = "edsos0";

    private static readonly ConcurrentDictionary<string, LinuxNamespace> s_alive = new();
    private static readonly List<PosixSignalRegistration> s_signals = [];
    private static int s_hooked;
    private static int s_counter;
    private static int s_graceful;
    private int _deleted;

    private LinuxNamespace(string name)
    {
        Name = name;
    }

    /// <summary>The namespace's name (<c>ip netns exec NAME ...</c>).</summary>
    public string Name { get; }

    /// <summary>
    /// Creates namespace <paramref name="name"/>, moves TAP interface <paramref name="tapInterface"/> into it
    /// (renamed <see cref="InterfaceName"/>), gives it <paramref name="linuxAddress"/> and brings it and
    /// <c>lo</c> up. Returns null with a one-line <paramref name="error"/> when a step fails (the namespace
    /// is then deleted again); a namespace of that name that already exists is an error, never reused.
    /// </summary>
    public static LinuxNamespace? TryCreate(string name, string tapInterface, Ipv4Cidr linuxAddress, out string? error)
    {
        ArgumentNullException.ThrowIfNull(tapInterface);
        var space = TryCreateEmpty(name, out error);
        if (space is null)
        {
            return null;
        }

        string[][] steps =
        [
            ["link", "set", tapInterface, "netns", name],
            ["-n", name, "link", "set", tapInterface, "name", InterfaceName],
            ["-n", name, "addr", "add", linuxAddress.ToString(), "dev", InterfaceName],
            ["-n", name, "link", "set", InterfaceName, "up"],
        ];
        foreach (string[] step in steps)
        {
            var result = IpCommand.Ip(step);
            if (!result.Ok)
            {
                space.Dispose();
                error = $"ip {string.Join(' ', step)}: {result.FirstLine}";
                return null;
            }
        }

        error = null;
        return space;
    }

    /// <summary>
    /// Creates namespace <paramref name="name"/> with only <c>lo</c>, up (the benchmark's veth pair goes
    /// between two of these). Null and a one-line <paramref name="error"/> when it exists or cannot be made.
    /// </summary>
    public static LinuxNamespace? TryCreateEmpty(string name, out string? error)
    {
        ArgumentNullException.ThrowIfNull(name);
        HookProcessExit();
        if (File.Exists("/run/netns/" + name))
        {
            error = $"network namespace '{name}' already exists (delete it with: ip netns del {name})";
            return null;
        }

        var created = IpCommand.Ip("netns", "add", name);
        if (!created.Ok)
        {
            error = $"ip netns add {name}: {created.FirstLine}";
            return null;
        }

        var space = new LinuxNamespace(name);
        s_alive[name] = space;
        var lo = IpCommand.Ip("-n", name, "link", "set", "lo", "up");
        if (!lo.Ok)
        {
            space.Dispose();
            error = $"ip -n {name} link set lo up: {lo.FirstLine}";
            return null;
        }

        error = null;
        return space;
    }

    /// <summary>A namespace name unique to this process and call: <c>edsos-PID-N</c>.</summary>
    public static string UniqueName() => $"edsos-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";

    /// <summary>
    /// Marks a process that handles SIGINT and SIGTERM itself and cleans up in order (the command line, through
    /// <c>SignalStop</c>): while the returned scope lives, the last-resort handlers leave those two signals to it.
    /// </summary>
    public static IDisposable GracefulShutdownScope()
    {
        Interlocked.Increment(ref s_graceful);
        return new GracefulScope();
    }

    /// <summary>Runs <paramref name="arguments"/> with <c>ip netns exec NAME</c> (a Linux tool inside the namespace).</summary>
    public CommandResult Exec(TimeSpan timeout, params string[] arguments)
    {
        var all = new List<string> { "netns", "exec", Name };
        all.AddRange(arguments);
        return IpCommand.Run("ip", all, timeout);
    }

    /// <summary>Deletes every namespace this process created and has not deleted yet (signal handlers call this).</summary>
    public static void DeleteAll()
    {
        foreach (var space in s_alive.Values)
        {
            space.Dispose();
        }
    }

    /// <summary>Deletes the namespace (and with it the Linux side's address and routes). Safe to call twice.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _deleted, 1) != 0)
        {
            return;
        }

        s_alive.TryRemove(Name, out _);
        IpCommand.Ip("netns", "del", Name);
    }

    private static void HookProcessExit()
    {
        if (Interlocked.Exchange(ref s_hooked, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();

        // Ctrl-C and kill end a demo or a benchmark at once (the default action goes on), but first the
        // namespaces go; the TAP device goes with the process's fds.
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            s_signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                // SIGINT and SIGTERM belong to a graceful scope when there is one (the command line's SignalStop
                // then stops the run in order); SIGHUP and SIGQUIT kill the process whatever runs.
                bool handledInOrder = context.Signal is PosixSignal.SIGINT or PosixSignal.SIGTERM && Volatile.Read(ref s_graceful) > 0;
                if (!handledInOrder)
                {
                    DeleteAll();
                }
            }));
        }
    }

    private sealed class GracefulScope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref s_graceful);
            }
        }
    }
}
