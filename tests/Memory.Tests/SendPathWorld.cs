namespace Edsos.Memory.Tests;

/// <summary>
/// The TS layout of seed 000's send path on a small native arena: one user app, another user app,
/// the (kernel) KPN, the socket node, the protocol transmit worker and the e1000 driver.
/// </summary>
internal sealed class SendPathWorld : IDisposable
{
    public SendPathWorld(int pageCount = 64, int pageSize = 4096)
    {
        Memory = new MemoryManager(new NativeArenaBacking(pageCount, pageSize));
        App = Memory.CreateTs("/user_proc/app").Unwrap();
        OtherApp = Memory.CreateTs("/user_proc/other").Unwrap();
        Kpn = Memory.CreateTs("/user_proc/sysagent/kpn", TsKind.Kernel).Unwrap();
        Socket = Memory.CreateTs("/net/sockets/sock_0xABCD").Unwrap();
        Protocol = Memory.CreateTs("/net/ipv4/tx").Unwrap();
        Driver = Memory.CreateTs("/drivers/net/e1000").Unwrap();
    }

    public MemoryManager Memory { get; }

    public TsId App { get; }

    public TsId OtherApp { get; }

    public TsId Kpn { get; }

    public TsId Socket { get; }

    public TsId Protocol { get; }

    public TsId Driver { get; }

    public int PageSize => Memory.PageSize;

    /// <summary>Pushes a node and fills it with a recognisable pattern (seeded by <paramref name="seed"/>).</summary>
    public Capability PushFilled(TsId ts, string name, int length, byte seed = 1, Rights rights = Rights.All)
    {
        var cap = Memory.Push(ts, name, length, rights | Rights.Write).Unwrap();
        Memory.Write(ts, cap, 0, Pattern(length, seed), CopyKind.Metadata).ThrowIfFailed();
        return rights.HasFlag(Rights.Write) ? cap : Memory.Restrict(ts, cap, rights).Unwrap();
    }

    public Gva GvaOf(TsId ts, Capability cap) => Memory.Inspect(ts, cap).Unwrap().Gva;

    /// <summary>All bytes of a node, gathered with Visit (no accounted copy).</summary>
    public byte[] Bytes(TsId ts, Capability cap)
    {
        int length = Memory.Inspect(ts, cap).Unwrap().Length;
        var gathered = new List<byte>();
        Memory.Visit(ts, cap, 0, length, ref gathered, static (ref List<byte> state, ReadOnlySpan<byte> segment) => state.AddRange(segment)).ThrowIfFailed();
        return gathered.ToArray();
    }

    public static byte[] Pattern(int length, byte seed)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }

        return bytes;
    }

    public void AssertConsistent()
    {
        var problems = Memory.CheckInvariants();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    public void Dispose() => Memory.Dispose();
}
