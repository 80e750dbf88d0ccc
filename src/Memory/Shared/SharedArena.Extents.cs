using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>
/// Scatter lists as chains of extent records: built from fresh pages (push), copied as a slice with
/// a reference or pin per page spanned (ct_share, pin), walked for bytes and physical addresses.
/// </summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Takes <paramref name="pages"/> free pages as a chain covering <paramref name="length"/> bytes,
    /// in ascending page order, consecutive page numbers coalesced into one extent, the covered bytes zeroed when
    /// <paramref name="zero"/>. Returns the head, or 0 when extent records ran out (the caller fails;
    /// Leave rolls back). The caller checked the free page count.
    /// </summary>
    private int BuildChain(int pages, int length, out int count, bool zero = true)
    {
        count = 0;
        int head = 0, tail = 0, previousPfn = -2;

        // The pages come off the free stack in the order they were freed, which after a while interleaves many nodes':
        // taken all at once and sorted, neighbours among them coalesce into one extent whatever order they came in.
        Span<int> taken = pages <= 256 ? stackalloc int[pages] : new int[pages];
        for (int i = 0; i < pages; i++)
        {
            taken[i] = TakePage();
        }

        taken.Sort();
        for (int i = 0; i < pages; i++)
        {
            int pfn = taken[i];
            int bytes = Math.Min(_layout.PageSize, length - (i * _layout.PageSize));

            // Zeroing is not logged: the page was free, so undoing its allocation loses nothing. Only the bytes the
            // node covers: a node reaches its pages only through its extents, which end at its length, so the rest
            // of a last page is never seen through it (a 42-byte header node cleared 4 KiB per push).
            if (zero)
            {
                PageBytes(pfn)[..bytes].Clear();
            }

            if (pfn == previousPfn + 1)
            {
                Init32(ExtentRec(tail) + L.ELength, I32(ExtentRec(tail) + L.ELength) + bytes);
            }
            else
            {
                int e = TakeExtent();
                if (e == 0)
                {
                    return 0;
                }

                Init64(ExtentRec(e) + L.EAddress, (long)pfn * _layout.PageSize);
                Init32(ExtentRec(e) + L.ELength, bytes);
                Init32(ExtentRec(e) + L.ENext, 0);
                if (tail == 0)
                {
                    head = e;
                }
                else
                {
                    Init32(ExtentRec(tail) + L.ENext, e);
                }

                tail = e;
                count++;
            }

            previousPfn = pfn;
            if (i == 0)
            {
                Hook("push");
            }
        }

        return head;
    }

    /// <summary>
    /// Copies the extents covering chain bytes [<paramref name="offset"/>, +<paramref name="length"/>)
    /// into fresh records, adding one to the page field at <paramref name="counter"/>
    /// (<see cref="SharedLayout.GRefs"/> or <see cref="SharedLayout.GPins"/>) of every page each spans.
    /// Returns the new head, or 0 when extent records ran out (the caller fails; Leave rolls back).
    /// </summary>
    private int CopySlice(int source, int offset, int length, int counter, string hook, out int count, out int spans)
    {
        count = 0;
        spans = 0;
        int head = 0, tail = 0;
        long position = 0, end = (long)offset + length;
        for (int e = source; e != 0 && position < end; e = I32(ExtentRec(e) + L.ENext))
        {
            long ext = ExtentRec(e);
            long start = position;
            position += I32(ext + L.ELength);
            if (position <= offset)
            {
                continue;
            }

            long from = Math.Max(start, offset), to = Math.Min(position, end);
            int copy = TakeExtent();
            if (copy == 0)
            {
                return 0;
            }

            long rec = ExtentRec(copy);
            Init64(rec + L.EAddress, I64(ext + L.EAddress) + (from - start));
            Init32(rec + L.ELength, (int)(to - from));
            Init32(rec + L.ENext, 0);
            if (tail == 0)
            {
                head = copy;
            }
            else
            {
                Init32(ExtentRec(tail) + L.ENext, copy);
            }

            tail = copy;
            count++;
            var (first, last) = SpannedPages(rec);
            for (int pfn = first; pfn <= last; pfn++)
            {
                long page = PageRec(pfn) + counter;
                Derive32(page, I32(page) + 1);
                if (spans++ == 0)
                {
                    Hook(hook);
                }
            }
        }

        return head;
    }

    /// <summary>Pages referenced by a chain: the sum over its extents of pages spanned.</summary>
    private int ChainSpans(int head)
    {
        int spans = 0;
        for (int e = head; e != 0; e = I32(ExtentRec(e) + L.ENext))
        {
            var (first, last) = SpannedPages(ExtentRec(e));
            spans += last - first + 1;
        }

        return spans;
    }

    /// <summary>Copies between chain bytes from <paramref name="offset"/> and a span: into the pages when <paramref name="to"/> is empty, out of them otherwise.</summary>
    private void CopyChain(int head, int offset, int length, ReadOnlySpan<byte> from, Span<byte> to)
    {
        long position = 0;
        int done = 0;
        for (int e = head; e != 0 && done < length; e = I32(ExtentRec(e) + L.ENext))
        {
            long ext = ExtentRec(e);
            int extLength = I32(ext + L.ELength);
            long start = position;
            position += extLength;
            if (position <= offset + done)
            {
                continue;
            }

            int inExtent = (int)(offset + done - start);
            int chunk = Math.Min(length - done, extLength - inExtent);
            var bytes = new Span<byte>(_data + I64(ext + L.EAddress) + inExtent, chunk);
            if (to.IsEmpty)
            {
                from.Slice(done, chunk).CopyTo(bytes);
            }
            else
            {
                bytes.CopyTo(to.Slice(done, chunk));
            }

            done += chunk;
        }
    }

    /// <summary>The physical address (byte offset into the data pages) of chain byte <paramref name="offset"/>, which must be inside it.</summary>
    private long ChainAddress(int head, int offset)
    {
        long position = 0;
        for (int e = head; ; e = I32(ExtentRec(e) + L.ENext))
        {
            long ext = ExtentRec(e);
            int extLength = I32(ext + L.ELength);
            if (offset < position + extLength)
            {
                return I64(ext + L.EAddress) + (offset - position);
            }

            position += extLength;
        }
    }
}
