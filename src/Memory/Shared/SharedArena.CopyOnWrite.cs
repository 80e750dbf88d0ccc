using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Copy-on-write, as <see cref="MemoryManager.Write"/> does it: a write never changes bytes another node still sees.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Gives the node its own copy of every page piece the write [<paramref name="offset"/>,
    /// +<paramref name="length"/>) touches whose page another reference still holds: a fresh page
    /// gets the piece's bytes at the same in-page offset, the extent is cut around the piece (the
    /// piece re-pointed at the copy) and the old page loses this node's reference. Each piece is
    /// one transaction, committed on its own (the node is whole and correct after each), so the undo
    /// log stays small whatever the write's size and a death midway leaves pieces copied or not,
    /// never half. False when pages or extent records ran out: the pieces copied so far stay copied
    /// (as in the manager) and nothing is written.
    /// </summary>
    private bool CopyOnWrite(long node, int offset, int length)
    {
        long writeStart = offset, writeEnd = (long)offset + length;
        int pageSize = _layout.PageSize;
        long position = 0;
        for (int e = I32(node + L.NExtentHead); e != 0 && position < writeEnd;)
        {
            long ext = ExtentRec(e);
            long address = I64(ext + L.EAddress);
            long end = address + I32(ext + L.ELength);
            long extentStart = position;
            position += end - address;
            int current = e;
            for (long piece = address; position > writeStart && piece < end;)
            {
                int pfn = (int)(piece / pageSize);
                long pieceEnd = Math.Min((long)(pfn + 1) * pageSize, end);
                long pieceStart = extentStart + (piece - address);
                bool touched = pieceStart + (pieceEnd - piece) > writeStart && pieceStart < writeEnd;
                if (!touched || I32(PageRec(pfn) + L.GRefs) <= 1)
                {
                    piece = pieceEnd;
                    continue;
                }

                if (I32(L.HFreePageCount) == 0 || I32(L.HFreeExtentCount) < 2)
                {
                    return false;
                }

                current = CopyPiece(node, current, piece, pieceEnd);
                Hook("cow");
                Commit();
                piece = pieceEnd;
            }

            e = I32(ExtentRec(current) + L.ENext);
        }

        return true;
    }

    /// <summary>
    /// Copies chain bytes at physical [<paramref name="piece"/>, <paramref name="pieceEnd"/>) (one
    /// page's part of extent <paramref name="current"/>, which covers it) into a fresh page and
    /// splices the chain: <c>current</c> keeps what lies before the piece, a record for the copy
    /// follows, then a record for what lies after. Returns the record that now holds the rest of the
    /// original extent (the copy's when nothing follows it), where the caller's walk goes on.
    /// </summary>
    private int CopyPiece(long node, int current, long piece, long pieceEnd)
    {
        int pageSize = _layout.PageSize;
        long ext = ExtentRec(current);
        long start = I64(ext + L.EAddress);
        long end = start + I32(ext + L.ELength);
        int next = I32(ext + L.ENext);
        int pieceLength = (int)(pieceEnd - piece);

        int fresh = TakePage();
        PageBytes(fresh).Clear();
        long copyAddress = ((long)fresh * pageSize) + (piece % pageSize);
        new ReadOnlySpan<byte>(_data + piece, pieceLength).CopyTo(new Span<byte>(_data + copyAddress, pieceLength));
        Interlocked.Add(ref _cowBytes, pieceLength);

        // The old page had other references, so this release never frees it.
        long oldPage = PageRec((int)(piece / pageSize));
        Derive32(oldPage + L.GRefs, I32(oldPage + L.GRefs) - 1);

        int added = 0;
        int copy;
        if (piece == start)
        {
            Set64(ext + L.EAddress, copyAddress);
            Set32(ext + L.ELength, pieceLength);
            copy = current;
        }
        else
        {
            copy = TakeExtent();
            Set32(ext + L.ELength, (int)(piece - start));
            Init64(ExtentRec(copy) + L.EAddress, copyAddress);
            Init32(ExtentRec(copy) + L.ELength, pieceLength);
            Init32(ExtentRec(copy) + L.ENext, next);
            Set32(ext + L.ENext, copy);
            added++;
        }

        int rest = copy;
        if (pieceEnd < end)
        {
            rest = TakeExtent();
            Init64(ExtentRec(rest) + L.EAddress, pieceEnd);
            Init32(ExtentRec(rest) + L.ELength, (int)(end - pieceEnd));
            Init32(ExtentRec(rest) + L.ENext, next);
            Set32(ExtentRec(copy) + L.ENext, rest);
            added++;
        }

        Set32(node + L.NExtentCount, I32(node + L.NExtentCount) + added);
        return rest;
    }
}
