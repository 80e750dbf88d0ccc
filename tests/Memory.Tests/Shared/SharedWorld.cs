using Edsos.Memory.Shared;

namespace Edsos.Memory.Tests.Shared;

/// <summary>
/// <see cref="SendPathWorld"/>'s TS layout on a shared arena file: the same paths and kinds, so the
/// shared arena's operations are checked against the in-process manager's semantics.
/// </summary>
internal sealed class SharedWorld : IDisposable
{
    public static readonly SharedArenaOptions Options = new() { PageCount = 128, MaxNodes = 256, MaxTs = 64, MaxProcesses = 4, MaxPins = 16, MaxExtents = 512, MaxOriginSpills = 8 };

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"edsos-shared-{Guid.NewGuid():N}.arena");

    public SharedWorld()
    {
        Arena = SharedArena.Open(_path, Options);
        App = Arena.CreateTs("/user_proc/app").Unwrap();
        OtherApp = Arena.CreateTs("/user_proc/other").Unwrap();
        Kpn = Arena.CreateTs("/user_proc/sysagent/kpn", TsKind.Kernel).Unwrap();
        Socket = Arena.CreateTs("/net/sockets/sock_0xABCD").Unwrap();
        Protocol = Arena.CreateTs("/net/ipv4/tx").Unwrap();
        Driver = Arena.CreateTs("/drivers/net/e1000").Unwrap();
    }

    public string FilePath => _path;

    public SharedArena Arena { get; }

    public TsId App { get; }

    public TsId OtherApp { get; }

    public TsId Kpn { get; }

    public TsId Socket { get; }

    public TsId Protocol { get; }

    public TsId Driver { get; }

    public int PagesInUse => Arena.PageCount - Arena.GetStats().FreePages;

    public static byte[] Pattern(int length, byte seed) => SendPathWorld.Pattern(length, seed);

    public Capability PushFilled(TsId ts, string name, int length, byte seed = 1, Rights rights = Rights.All)
    {
        var cap = Arena.Push(ts, name, length, rights | Rights.Write).Unwrap();
        Arena.Write(ts, cap, 0, Pattern(length, seed)).ThrowIfFailed();
        return rights.HasFlag(Rights.Write) ? cap : Arena.Restrict(ts, cap, rights).Unwrap();
    }

    public byte[] Bytes(TsId ts, Capability cap)
    {
        var bytes = new byte[Arena.Locate(ts, cap).Unwrap().Length];
        Arena.Read(ts, cap, 0, bytes).ThrowIfFailed();
        return bytes;
    }

    public Gva GvaOf(TsId ts, Capability cap) => Arena.Locate(ts, cap).Unwrap().Gva;

    public void AssertConsistent() => Assert.Equal(string.Empty, string.Join("\n", Arena.CheckInvariants()));

    public void Dispose()
    {
        Arena.Dispose();
        File.Delete(_path);
    }
}
