using System.Collections.Concurrent;
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
    private static int s_hooked;
    private int _deleted;

    private LinuxNamespace(string name, Ipv4Cidr linuxAddress)
    {
        Name = name;
        LinuxAddress = linuxAddress;
    }

    /// <summary>The namespace's name (<c>ip netns exec NAME ...</c>).</summary>
    public string Name { get; }

    /// <summary>The Linux side's address and prefix on the TAP interface.</summary>
    public Ipv4Cidr LinuxAddress { get; }

    /// <summary>
    /// Creates namespace <paramref name="name"/>, moves TAP interface <paramref name="tapInterface"/> into it
    /// (renamed <see cref="InterfaceName"/>), gives it <paramref name="linuxAddress"/> and brings it and
    /// <c>lo</c> up. Returns null with a one-line <paramref name="error"/> when a step fails (the namespace
    /// is then deleted again); a namespace of that name that already exists is an error, never reused.
    /// </summary>
    public static LinuxNamespace? TryCreate(string name, string tapInterface, Ipv4Cidr linuxAddress, out string? error)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tapInterface);
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

        var space = new LinuxNamespace(name, linuxAddress);
        s_alive[name] = space;
        string[][] steps =
        [
            ["link", "set", tapInterface, "netns", name],
            ["-n", name, "link", "set", tapInterface, "name", InterfaceName],
            ["-n", name, "link", "set", "lo", "up"],
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

    /// <summary>A namespace name unique to this process and call: <c>edsos-PID-N</c>.</summary>
    public static string UniqueName() => $"edsos-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";

    private static int s_counter;

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
        if (Interlocked.Exchange(ref s_hooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();
        }
    }
}
