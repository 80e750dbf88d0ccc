using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Ipv4;

public sealed class FragmentReassemblerTests
{
    private static readonly FragmentKey s_key = new(Ipv4Address.Parse("10.0.2.2"), Ipv4Address.Parse("10.0.2.15"), IpProtocol.Udp, 42);

    private readonly ManualTimeProvider _clock = new();
    private readonly List<string> _completed = new();
    private readonly List<string> _released = new();

    private ReassemblyResult Offer(FragmentReassembler<string> reassembler, int offset, int length, bool more, string handle, FragmentKey? key = null)
    {
        return reassembler.Accept(key ?? s_key, offset, length, more, handle, _completed, _released);
    }

    [Fact]
    public void Accept_OutOfOrder_CompletesInOffsetOrder()
    {
        var reassembler = new FragmentReassembler<string>(_clock);

        Assert.Equal(ReassemblyResult.Incomplete, Offer(reassembler, 2960, 1144, false, "c"));
        Assert.Equal(ReassemblyResult.Incomplete, Offer(reassembler, 0, 1480, true, "a"));
        Assert.Equal(ReassemblyResult.Complete, Offer(reassembler, 1480, 1480, true, "b"));

        Assert.Equal(new[] { "a", "b", "c" }, _completed);
        Assert.Empty(_released);
        Assert.Equal(0, reassembler.Count);
    }

    [Fact]
    public void Accept_ExactDuplicate_ReleasesOnlyTheCopy()
    {
        var reassembler = new FragmentReassembler<string>(_clock);
        Offer(reassembler, 0, 8, true, "a");

        Assert.Equal(ReassemblyResult.Duplicate, Offer(reassembler, 0, 8, true, "a2"));
        Assert.Equal(new[] { "a2" }, _released);
        Assert.Equal(ReassemblyResult.Complete, Offer(reassembler, 8, 3, false, "b"));
        Assert.Equal(new[] { "a", "b" }, _completed);
    }

    [Fact]
    public void Accept_Overlap_DiscardsWholeDatagramAndLaterFragments()
    {
        var reassembler = new FragmentReassembler<string>(_clock);
        Offer(reassembler, 0, 16, true, "a");

        Assert.Equal(ReassemblyResult.Overlap, Offer(reassembler, 8, 16, true, "evil"));
        Assert.Equal(new[] { "evil", "a" }, _released);

        // RFC 5722: fragments of that datagram that arrive later are discarded too.
        Assert.Equal(ReassemblyResult.Overlap, Offer(reassembler, 16, 4, false, "late"));
        Assert.Contains("late", _released);
        Assert.Empty(_completed);
    }

    [Fact]
    public void Accept_SecondLastFragmentWithOtherEnd_Overlap()
    {
        var reassembler = new FragmentReassembler<string>(_clock);
        Offer(reassembler, 16, 4, false, "end1");

        Assert.Equal(ReassemblyResult.Overlap, Offer(reassembler, 24, 4, false, "end2"));
        Assert.Equal(new[] { "end2", "end1" }, _released);
    }

    [Fact]
    public void Accept_LastFragmentBeforeHeldData_Overlap()
    {
        var reassembler = new FragmentReassembler<string>(_clock);
        Offer(reassembler, 32, 8, true, "mid");

        Assert.Equal(ReassemblyResult.Overlap, Offer(reassembler, 8, 8, false, "short-end"));
    }

    [Theory]
    [InlineData(4, 8, true)]     // offset not a multiple of 8
    [InlineData(0, 12, true)]    // non-final length not a multiple of 8
    [InlineData(8, 0, false)]    // empty
    [InlineData(0, 100, false)]  // offset 0 without MF: not a fragment
    [InlineData(65512, 8, false)] // ends past 65535 − 20
    public void Accept_InvalidFragment_ReleasedAlone(int offset, int length, bool more)
    {
        var reassembler = new FragmentReassembler<string>(_clock);
        Offer(reassembler, 0, 8, true, "held");

        Assert.Equal(ReassemblyResult.Invalid, Offer(reassembler, offset, length, more, "bad"));
        Assert.Equal(new[] { "bad" }, _released);
        Assert.Equal(1, reassembler.HeldFragments);
    }

    [Fact]
    public void Expire_AfterTimeout_ReleasesHeldFragments()
    {
        var reassembler = new FragmentReassembler<string>(_clock);
        Offer(reassembler, 0, 8, true, "a");
        Offer(reassembler, 16, 8, false, "c");

        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, reassembler.Expire(_released));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, reassembler.Expire(_released));

        Assert.Equal(new[] { "a", "c" }, _released);
        Assert.Equal(0, reassembler.Count);
    }

    [Fact]
    public void Accept_BeyondMaxReassemblies_EvictsOldest()
    {
        var reassembler = new FragmentReassembler<string>(_clock, new FragmentReassemblerOptions { MaxReassemblies = 2 });
        Offer(reassembler, 0, 8, true, "first", s_key with { Identification = 1 });
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Offer(reassembler, 0, 8, true, "second", s_key with { Identification = 2 });
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(ReassemblyResult.Incomplete, Offer(reassembler, 0, 8, true, "third", s_key with { Identification = 3 }));

        Assert.Equal(new[] { "first" }, _released);
        Assert.Equal(2, reassembler.Count);
    }

    [Fact]
    public void Accept_DifferentKeys_KeptApart()
    {
        var reassembler = new FragmentReassembler<string>(_clock);
        Offer(reassembler, 0, 8, true, "x0", s_key with { Protocol = IpProtocol.Icmp });
        Offer(reassembler, 0, 8, true, "u0");

        Assert.Equal(ReassemblyResult.Complete, Offer(reassembler, 8, 1, false, "u1"));
        Assert.Equal(new[] { "u0", "u1" }, _completed);
        Assert.Equal(1, reassembler.Count);
    }

    [Fact]
    public void Accept_MaximumSizeDatagram_Completes()
    {
        // 65535 − 20 = 65515 data bytes: 8 fragments of 8184 and one of 8043.
        var reassembler = new FragmentReassembler<string>(_clock);
        FragmentPiece[] pieces = Fragmenter.Plan(65515, 20, 8204);
        ReassemblyResult last = ReassemblyResult.Invalid;
        foreach (FragmentPiece piece in pieces)
        {
            last = Offer(reassembler, piece.Offset, piece.Length, piece.MoreFragments, piece.Offset.ToString());
        }

        Assert.Equal(ReassemblyResult.Complete, last);
        Assert.Equal(pieces.Length, _completed.Count);
    }

    [Fact]
    public void EveryHandle_RandomOrdersDuplicatesOverlapsAndTimeouts_ReturnedExactlyOnce()
    {
        var random = new Random(2024);
        var clock = new ManualTimeProvider();
        var reassembler = new FragmentReassembler<int>(clock, new FragmentReassemblerOptions { MaxReassemblies = 4 });
        var completed = new List<int>();
        var released = new List<int>();
        var returned = new HashSet<int>();
        int handle = 0;
        int completions = 0;
        var queue = new List<(FragmentKey Key, FragmentPiece Piece)>();

        for (int datagram = 0; datagram < 400; datagram++)
        {
            var key = new FragmentKey(Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), IpProtocol.Udp, (ushort)random.Next(12));
            foreach (FragmentPiece piece in Fragmenter.Plan(random.Next(1, 6000), 20, random.Next(68, 1500)))
            {
                queue.Add((key, piece));
                if (random.Next(8) == 0)
                {
                    queue.Add((key, piece)); // duplicate
                }

                if (random.Next(40) == 0)
                {
                    queue.Add((key, piece with { Offset = piece.Offset + 8 })); // overlap or bogus
                }
            }
        }

        // Shuffle with local disorder: fragments of nearby datagrams interleave, as on a real link.
        for (int i = queue.Count - 1; i > 0; i--)
        {
            int j = Math.Max(0, i - random.Next(0, 12));
            (queue[i], queue[j]) = (queue[j], queue[i]);
        }

        foreach ((FragmentKey key, FragmentPiece piece) in queue)
        {
            completed.Clear();
            released.Clear();
            int h = handle++;
            ReassemblyResult result = reassembler.Accept(key, piece.Offset, piece.Length, piece.MoreFragments, h, completed, released);
            if (result == ReassemblyResult.Complete)
            {
                completions++;
                Assert.Contains(h, completed);
            }

            foreach (int r in completed)
            {
                Assert.True(returned.Add(r), $"handle {r} returned twice");
            }

            foreach (int r in released)
            {
                Assert.True(returned.Add(r), $"handle {r} returned twice");
            }

            if (random.Next(50) == 0)
            {
                clock.Advance(TimeSpan.FromSeconds(random.Next(0, 40)));
                released.Clear();
                reassembler.Expire(released);
                foreach (int r in released)
                {
                    Assert.True(returned.Add(r), $"handle {r} returned twice");
                }
            }
        }

        released.Clear();
        reassembler.Clear(released);
        foreach (int r in released)
        {
            Assert.True(returned.Add(r), $"handle {r} returned twice");
        }

        Assert.Equal(handle, returned.Count);
        Assert.Equal(0, reassembler.HeldFragments);
        Assert.True(completions > 0, "nothing ever completed: the test would prove little");
    }
}
