using Edsos.Driver;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Scheduler.Faults;
using Edsos.SocketService;

namespace Edsos.Host.Faults;

/// <summary>
/// The CLI's view of fault injection: the names of faults (<c>ts-exit</c>, ...), every layer's
/// injection points along the send path and then the receive path (each layer declares its own
/// points and the kinds they support: <see cref="KpnFaultPoints"/>, <see cref="SocketFaultPoints"/>,
/// <see cref="StackFaultPoints"/>, <see cref="DriverFaultPoints"/>), and a few words on what each
/// pair does. <c>--fault FAULT@POINT</c> and the fault matrix tests read it.
/// </summary>
public static class FaultCatalog
{
    private static readonly (FaultKind Kind, string Name)[] s_kinds =
    [
        (FaultKind.TsExit, "ts-exit"),
        (FaultKind.DriverCrash, "driver-crash"),
        (FaultKind.DmaFail, "dma-fail"),
        (FaultKind.RingFull, "ring-full"),
        (FaultKind.QdiscFull, "qdisc-full"),
        (FaultKind.SocketClose, "socket-close"),
    ];

    private static readonly FaultPoint[] s_points =
    [
        KpnFaultPoints.KpnShare,
        SocketFaultPoints.SocketQueue,
        StackFaultPoints.SkbMerge,
        StackFaultPoints.ArpParked,
        StackFaultPoints.Qdisc,
        DriverFaultPoints.DescriptorsPosted,
        DriverFaultPoints.Dma,
        DriverFaultPoints.AfterTransmit,
        DriverFaultPoints.Completion,
        DriverFaultPoints.RxDma,
        DriverFaultPoints.RxDriver,
        SocketFaultPoints.RxSocketQueue,
    ];

    private static readonly FaultSpecName[] s_supported = BuildSupported();

    /// <summary>Every supported FAULT@POINT pair, in catalogue order (faults, then points along the path).</summary>
    public static IReadOnlyList<FaultSpecName> Supported => s_supported;

    /// <summary>The name of <paramref name="kind"/> (<c>ts-exit</c>, ...). Throws <see cref="ArgumentOutOfRangeException"/> for a combination of flags.</summary>
    public static string KindName(FaultKind kind)
    {
        foreach (var (k, name) in s_kinds)
        {
            if (k == kind)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a single fault kind");
    }

    /// <summary>Every injection point, send path first, in path order.</summary>
    public static IReadOnlyList<FaultPoint> Points => s_points;

    /// <summary>The point named <paramref name="name"/> (case-insensitive). Throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public static FaultPoint Point(string name) =>
        FindPoint(name) ?? throw new ArgumentException($"unknown injection point '{name}'", nameof(name));

    /// <summary>The point named <paramref name="name"/> (case-insensitive), or null: the one lookup <see cref="Point"/> and <see cref="TryParse"/> share.</summary>
    private static FaultPoint? FindPoint(string name)
    {
        foreach (var point in s_points)
        {
            if (string.Equals(point.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return point;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="kind"/> can be injected at <paramref name="point"/>.</summary>
    public static bool IsSupported(FaultKind kind, FaultPoint point) => point.Supports(kind);

    /// <summary>
    /// Parses <c>FAULT@POINT</c> (case-insensitive). Returns false with a reason in
    /// <paramref name="error"/> for a malformed value, an unknown name or an unsupported pair.
    /// </summary>
    public static bool TryParse(string? text, out FaultSpecName parsed, out string error)
    {
        parsed = default;
        error = string.Empty;
        var at = text?.IndexOf('@', StringComparison.Ordinal) ?? -1;
        if (text is null || at <= 0 || at == text.Length - 1)
        {
            error = $"expected FAULT@POINT (for example ts-exit@dma), got '{text}'; --fault help lists them";
            return false;
        }

        var kindName = text[..at].Trim();
        var pointName = text[(at + 1)..].Trim();
        FaultKind? kind = null;
        foreach (var (k, name) in s_kinds)
        {
            if (string.Equals(name, kindName, StringComparison.OrdinalIgnoreCase))
            {
                kind = k;
            }
        }

        var point = FindPoint(pointName);

        if (kind is null)
        {
            error = $"unknown fault '{kindName}'; faults: {string.Join(", ", s_kinds.Select(k => k.Name))}";
            return false;
        }

        if (point is null)
        {
            error = $"unknown injection point '{pointName}'; points: {string.Join(", ", s_points.Select(p => p.Name))}";
            return false;
        }

        if (!point.Supports(kind.Value))
        {
            error = $"{kindName}@{pointName} is not supported; --fault help lists the pairs";
            return false;
        }

        parsed = new FaultSpecName(kind.Value, point);
        return true;
    }

    /// <summary>A few words on what <paramref name="kind"/> at <paramref name="point"/> does.</summary>
    public static string Describe(FaultKind kind, FaultPoint point)
    {
        var stage = point.Stage;
        return kind switch
        {
            FaultKind.TsExit when point.IsReceive => $"the receiving app's TS exits {stage}; its CTRNs are lifted, the datagram dropped",
            FaultKind.TsExit => $"the app's TS exits {stage}; its CTRNs are lifted, the frame dropped, all reclaimed",
            FaultKind.DriverCrash when point.IsReceive => $"the driver RX worker crashes {stage}; restarted, it re-posts its RX ring",
            FaultKind.DriverCrash => $"the driver TX worker crashes {stage}; restarted, it completes or fails each in-flight send once",
            FaultKind.DmaFail when point.IsReceive => "the NIC's DMA write of a received frame fails; the frame is counted and dropped",
            FaultKind.DmaFail => "the NIC's DMA read fails; the descriptor is marked failed, the send gets EIO",
            FaultKind.RingFull => "the TX ring has no room; the driver refuses the skb, the send gets ENOBUFS",
            FaultKind.QdiscFull => "the qdisc is full; it drops the skb, the send gets ENOBUFS",
            FaultKind.SocketClose when point.IsReceive => $"another thread of the receiving app closes the socket {stage}",
            FaultKind.SocketClose => $"another thread of the app closes the socket {stage}",
            _ => stage,
        };
    }

    /// <summary>
    /// Every supported pair: the send path's points kind by kind (catalogue order of the kinds),
    /// then the receive path's the same way, each as its point declares.
    /// </summary>
    private static FaultSpecName[] BuildSupported()
    {
        var list = new List<FaultSpecName>();
        foreach (bool receive in (bool[])[false, true])
        {
            foreach (var (kind, _) in s_kinds)
            {
                foreach (var point in s_points)
                {
                    if (point.IsReceive == receive && point.Supports(kind))
                    {
                        list.Add(new FaultSpecName(kind, point));
                    }
                }
            }
        }

        return [.. list];
    }
}
