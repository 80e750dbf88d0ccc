using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService;

namespace Edsos.Kpn;

/// <summary>
/// Starts user processes. Each process gets its own user TS <c>/user_proc/&lt;name&gt;</c> (where
/// its buffers live) and its own KPN in the kernel TS <c>/user_proc/&lt;name&gt;/sysagent/kpn</c>,
/// inside the process's subtree so that the process's exit (a subtree exit) also stops its KPN,
/// whose stop closes the sockets the process left open. Several processes can share one host.
/// </summary>
public static class UserProcess
{
    /// <summary>
    /// Creates the process's TSs and starts its KPN, serving <paramref name="socketTable"/> and
    /// <paramref name="icmp"/> (null: no ping). Returns the process's <see cref="Libc"/>. Throws
    /// <see cref="ArgumentException"/> for a name that is not one path segment and
    /// <see cref="InvalidOperationException"/> when a live process of that name exists. Does not block: the
    /// process's first syscall waits until the KPN runs (at most 10 s), so it may be called from any thread, an actor's too.
    /// </summary>
    public static Libc Start(ActorSystem system, string name, IActorRef socketTable, IActorRef? icmp, DataPathMode mode = DataPathMode.ZeroCopy, UserProcessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(socketTable);
        if (!IsValidName(name))
        {
            throw new ArgumentException($"a process name is one path segment: '{name}'", nameof(name));
        }

        options ??= new UserProcessOptions();
        var memory = system.Memory;
        var userPath = UserTsPath(name);
        var kpnPath = KpnTsPath(name);
        var userTs = memory.CreateTs(userPath, TsKind.User);
        if (!userTs.IsOk)
        {
            throw new InvalidOperationException($"cannot create the TS of process '{name}' ({userPath}): {userTs}");
        }

        // The KPN is kernel code even though it sits in the process's subtree.
        var kpnTs = memory.CreateTs(kpnPath, TsKind.Kernel);
        if (!kpnTs.IsOk)
        {
            throw new InvalidOperationException($"cannot create the KPN TS of process '{name}' ({kpnPath}): {kpnTs}");
        }

        var kpnOptions = new KpnOptions
        {
            UserTs = userTs.Value,
            SocketTable = socketTable,
            Icmp = icmp,
            Mode = mode,
            MaxDescriptors = options.MaxDescriptors,
        };
        var kpn = system.ActorOf(KpnActor.CreateProps(kpnOptions, kpnPath), $"kpn-{name}-{userTs.Value.Value}");

        // Akka starts a top-level actor after ActorOf returns and replays what reached it meanwhile
        // from another thread, without the caller's trace context: the process's first syscall waits
        // (asynchronously) until the KPN runs, so it is traced like every other. Not a blocking wait
        // here: the caller may be on the very thread the KPN needs (an actor, or an app's continuation
        // on a one-thread dispatcher), and a blocked thread would stall the KPN's start for the Ask's
        // whole timeout.
        Task started = kpn.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10))
            .ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new Libc(system, name, userTs.Value, kpnTs.Value, kpn, options, started);
    }

    /// <summary>A process name is one TS path segment and usable in an actor name.</summary>
    private static bool IsValidName(string name)
    {
        if (name is "." or ".." || name[0] == '$')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is '/' or '#' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The user TS path of process <paramref name="name"/>: <c>/user_proc/&lt;name&gt;</c>.</summary>
    public static string UserTsPath(string name) => $"/user_proc/{name}";

    /// <summary>The KPN TS path of process <paramref name="name"/>: <c>/user_proc/&lt;name&gt;/sysagent/kpn</c>.</summary>
    public static string KpnTsPath(string name) => $"/user_proc/{name}/sysagent/kpn";
}
