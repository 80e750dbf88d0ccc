namespace Edsos.Memory.Tests;

public sealed class PageAllocatorTests
{
    [Fact]
    public void Release_LastReference_ReturnsPageToFreeList()
    {
        var pages = new PageAllocator(4);
        Span<int> pfn = stackalloc int[1];
        Assert.True(pages.TryAllocate(pfn));
        pages.AddRef(pfn[0]);

        Assert.False(pages.Release(pfn[0]));
        Assert.Equal(3, pages.FreeCount);
        Assert.True(pages.Release(pfn[0]));
        Assert.Equal(4, pages.FreeCount);
        Assert.True(pages.IsFree(pfn[0]));
    }

    [Fact]
    public void Release_WhilePinned_DefersFreeUntilLastUnpin()
    {
        var pages = new PageAllocator(2);
        Span<int> pfn = stackalloc int[1];
        pages.TryAllocate(pfn);
        pages.Pin(pfn[0], dma: true);
        pages.Pin(pfn[0], dma: false);

        Assert.False(pages.Release(pfn[0]));
        Assert.False(pages.Unpin(pfn[0], dma: true));
        Assert.False(pages.IsFree(pfn[0]));
        Assert.True(pages.Unpin(pfn[0], dma: false));
        Assert.True(pages.IsFree(pfn[0]));
    }

    [Fact]
    public void TryAllocate_MoreThanFree_TakesNothing()
    {
        var pages = new PageAllocator(3);
        Span<int> one = stackalloc int[1];
        pages.TryAllocate(one);

        Assert.False(pages.TryAllocate(new int[3]));
        Assert.Equal(2, pages.FreeCount);
    }

    [Fact]
    public void Release_MoreThanReferenced_Throws()
    {
        var pages = new PageAllocator(1);
        Span<int> pfn = stackalloc int[1];
        pages.TryAllocate(pfn);
        int page = pfn[0];
        pages.Release(page);

        Assert.Throws<InvalidOperationException>(() => pages.Release(page));
        Assert.Throws<InvalidOperationException>(() => pages.AddRef(page));
    }
}
