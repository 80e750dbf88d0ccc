using System.Net;
using System.Net.Sockets;

namespace Edsos.Host.Cluster;

/// <summary>What the coordinator prepares before it starts a node: stale arena files removed, the wire's two ports.</summary>
public static partial class ClusterDemo
{
    /// <summary>
    /// Deletes the arena files of earlier coordinators that are gone (<c>/dev/shm/edsos-demo-PID-a.arena</c> whose PID
    /// is no live process): a coordinator removes its own at the end, but a SIGKILLed one cannot, and each is tens of MB
    /// of shared memory.
    /// </summary>
    private static void RemoveStaleArenas()
    {
        try
        {
            foreach (string file in Directory.EnumerateFiles("/dev/shm", "edsos-demo-*-a.arena"))
            {
                string name = Path.GetFileName(file);
                string pid = name["edsos-demo-".Length..^"-a.arena".Length];
                if (int.TryParse(pid, out int owner) && owner != Environment.ProcessId && !Directory.Exists($"/proc/{owner}"))
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not ours to remove, or /dev/shm is not there: nothing to clean.
        }
    }

    /// <summary>Two distinct UDP ports free on 127.0.0.1 a moment ago (the kernel's picks for port 0, held together).</summary>
    private static (int A, int B) FreeUdpPortPair()
    {
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (((IPEndPoint)a.LocalEndPoint!).Port, ((IPEndPoint)b.LocalEndPoint!).Port);
    }
}
