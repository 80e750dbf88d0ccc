namespace Edsos.Scheduler.Faults;

/// <summary>
/// The names of faults and injection points (<c>ts-exit</c>, <c>dma</c>, ...), which fault applies
/// at which point, and a few words on what each pair does. The CLI's <c>--fault FAULT@POINT</c>
/// and the fault matrix tests read it, so a pair is supported in one place only.
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

    private static readonly (FaultPoint Point, string Name, string Stage)[] s_points =
    [
        (FaultPoint.KpnShare, "kpn-share", "after the KPN shared the buffer"),
        (FaultPoint.SocketQueue, "socket-queue", "while the CTRN is in the socket's send queue"),
        (FaultPoint.SkbMerge, "skb-merge", "after the skb merge"),
        (FaultPoint.ArpParked, "arp-parked", "while the datagram is parked on ARP"),
        (FaultPoint.Qdisc, "qdisc", "while the skb is in the qdisc"),
        (FaultPoint.DescriptorsPosted, "descriptors-posted", "with descriptors posted, not yet DMA-read"),
        (FaultPoint.Dma, "dma", "during the NIC's DMA"),
        (FaultPoint.AfterTransmit, "after-transmit", "after transmit, before completion"),
        (FaultPoint.Completion, "completion", "in the completion chain"),
        (FaultPoint.RxDma, "rx-dma", "while the NIC DMA-writes a received frame"),
        (FaultPoint.RxDriver, "rx-driver", "as the driver shares a received frame up"),
        (FaultPoint.RxSocketQueue, "rx-socket-queue", "while a datagram waits in the socket's receive queue"),
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

    /// <summary>The name of <paramref name="point"/> (<c>dma</c>, ...).</summary>
    public static string PointName(FaultPoint point)
    {
        foreach (var (p, name, _) in s_points)
        {
            if (p == point)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(point), point, "unknown injection point");
    }

    /// <summary>True when <paramref name="kind"/> can be injected at <paramref name="point"/>.</summary>
    public static bool IsSupported(FaultKind kind, FaultPoint point)
    {
        foreach (var pair in s_supported)
        {
            if (pair.Kind == kind && pair.Point == point)
            {
                return true;
            }
        }

        return false;
    }

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

        FaultPoint? point = null;
        foreach (var (p, name, _) in s_points)
        {
            if (string.Equals(name, pointName, StringComparison.OrdinalIgnoreCase))
            {
                point = p;
            }
        }

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

        if (!IsSupported(kind.Value, point.Value))
        {
            error = $"{kindName}@{pointName} is not supported; --fault help lists the pairs";
            return false;
        }

        parsed = new FaultSpecName(kind.Value, point.Value);
        return true;
    }

    /// <summary>A few words on what <paramref name="kind"/> at <paramref name="point"/> does.</summary>
    public static string Describe(FaultKind kind, FaultPoint point)
    {
        var stage = Stage(point);
        return kind switch
        {
            FaultKind.TsExit when point >= FaultPoint.RxDma => $"the receiving app's TS exits {stage}; its CTRNs are lifted, the datagram dropped",
            FaultKind.TsExit => $"the app's TS exits {stage}; its CTRNs are lifted, the frame dropped, all reclaimed",
            FaultKind.DriverCrash when point >= FaultPoint.RxDma => $"the driver RX worker crashes {stage}; restarted, it re-posts its RX ring",
            FaultKind.DriverCrash => $"the driver TX worker crashes {stage}; restarted, it completes or fails each in-flight send once",
            FaultKind.DmaFail when point >= FaultPoint.RxDma => "the NIC's DMA write of a received frame fails; the frame is counted and dropped",
            FaultKind.DmaFail => "the NIC's DMA read fails; the descriptor is marked failed, the send gets EIO",
            FaultKind.RingFull => "the TX ring has no room; the driver refuses the skb, the send gets ENOBUFS",
            FaultKind.QdiscFull => "the qdisc is full; it drops the skb, the send gets ENOBUFS",
            FaultKind.SocketClose when point >= FaultPoint.RxDma => $"another thread of the receiving app closes the socket {stage}",
            FaultKind.SocketClose => $"another thread of the app closes the socket {stage}",
            _ => stage,
        };
    }

    private static string Stage(FaultPoint point)
    {
        foreach (var (p, _, stage) in s_points)
        {
            if (p == point)
            {
                return stage;
            }
        }

        return string.Empty;
    }

    private static FaultSpecName[] BuildSupported()
    {
        FaultPoint[] sendPath =
        [
            FaultPoint.KpnShare, FaultPoint.SocketQueue, FaultPoint.SkbMerge, FaultPoint.ArpParked, FaultPoint.Qdisc,
            FaultPoint.DescriptorsPosted, FaultPoint.Dma, FaultPoint.AfterTransmit, FaultPoint.Completion,
        ];
        var list = new List<FaultSpecName>();
        foreach (var point in sendPath)
        {
            list.Add(new FaultSpecName(FaultKind.TsExit, point));
        }

        list.Add(new FaultSpecName(FaultKind.DriverCrash, FaultPoint.DescriptorsPosted));
        list.Add(new FaultSpecName(FaultKind.DriverCrash, FaultPoint.Completion));
        list.Add(new FaultSpecName(FaultKind.DmaFail, FaultPoint.Dma));
        list.Add(new FaultSpecName(FaultKind.RingFull, FaultPoint.DescriptorsPosted));
        list.Add(new FaultSpecName(FaultKind.QdiscFull, FaultPoint.Qdisc));
        foreach (var point in sendPath)
        {
            list.Add(new FaultSpecName(FaultKind.SocketClose, point));
        }

        // The receive duals.
        list.Add(new FaultSpecName(FaultKind.TsExit, FaultPoint.RxDma));
        list.Add(new FaultSpecName(FaultKind.TsExit, FaultPoint.RxDriver));
        list.Add(new FaultSpecName(FaultKind.TsExit, FaultPoint.RxSocketQueue));
        list.Add(new FaultSpecName(FaultKind.DriverCrash, FaultPoint.RxDriver));
        list.Add(new FaultSpecName(FaultKind.DmaFail, FaultPoint.RxDma));
        list.Add(new FaultSpecName(FaultKind.SocketClose, FaultPoint.RxSocketQueue));
        return [.. list];
    }
}
