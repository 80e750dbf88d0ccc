namespace Edsos.Memory.Tests;

public sealed class ArenaBackingTests
{
    [Fact]
    public void NativeArena_New_IsZeroedAndPagesAreDistinct()
    {
        using var arena = new NativeArenaBacking(4, 256);

        Assert.All(arena.Slice(0, 4 * 256).ToArray(), b => Assert.Equal(0, b));
        arena.Page(1)[0] = 0xAA;
        Assert.Equal(0xAA, arena.Slice(256, 1)[0]);
        Assert.Equal(0, arena.Page(0)[0]);
        Assert.Equal(0, arena.Page(2)[0]);
    }

    [Fact]
    public void NativeArena_OutOfRangeAccess_Throws()
    {
        using var arena = new NativeArenaBacking(2, 256);

        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Page(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Slice(500, 13));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeArenaBacking(2, 1000));
    }

    [Fact]
    public void MappedFileArena_TwoInstancesOnSamePath_ShareBytes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-arena-{Guid.NewGuid():N}.bin");
        try
        {
            using (var first = new MappedFileArenaBacking(path, 4, 4096))
            using (var second = new MappedFileArenaBacking(path, 4, 4096))
            {
                first.Page(3)[17] = 0x5A;
                second.Slice(4096, 3).Fill(0x11);

                Assert.Equal(0x5A, second.Page(3)[17]);
                Assert.Equal([0x11, 0x11, 0x11], first.Page(1)[..3].ToArray());
            }

            Assert.Equal(4 * 4096, new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MappedFileArena_ReopenedAfterDispose_KeepsContents()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-arena-{Guid.NewGuid():N}.bin");
        try
        {
            using (var arena = new MappedFileArenaBacking(path, 2, 4096))
            {
                arena.Page(0)[0] = 42;
            }

            using var reopened = new MappedFileArenaBacking(path, 2, 4096);
            Assert.Equal(42, reopened.Page(0)[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MemoryManager_OverMappedFile_SecondMappingSeesWrittenBytes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-arena-{Guid.NewGuid():N}.bin");
        try
        {
            using var memory = new MemoryManager(new MappedFileArenaBacking(path, 8, 4096));
            using var peer = new MappedFileArenaBacking(path, 8, 4096);
            var app = memory.CreateTs("/user_proc/app").Unwrap();
            var cap = memory.Push(app, "buf", 10).Unwrap();
            memory.Write(app, cap, 0, "cluster!!!"u8, CopyKind.Payload).ThrowIfFailed();

            var extent = memory.Inspect(app, cap).Unwrap().Extents[0];

            Assert.Equal("cluster!!!"u8.ToArray(), peer.Slice(extent.Address, 10).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
