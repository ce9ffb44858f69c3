using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The shared window of one node's all-reduce lives in <c>/dev/shm</c>. Where that cannot hold it twice over (a
/// container's default is 64 MB), every rank takes MPI's own path instead of failing at start-up.
/// </summary>
public sealed class SharedWindowTests
{
    [Fact]
    public void A_segment_holds_two_buffers_of_a_part_per_rank_and_its_flags()
    {
        Assert.Equal(128 + (2 * SharedAllReduce.BufferBytes), SharedAllReduce.SegmentBytes(2));
        // 3 ranks: parts of 8 MiB / 3 rounded down to cache lines.
        long part = SharedAllReduce.BufferBytes / 3 / 64 * 64;
        Assert.Equal(128 + (2 * 3 * part), SharedAllReduce.SegmentBytes(3));
    }

    [Theory]
    [InlineData(64_000_000, 2, false)]       // a container's default /dev/shm
    [InlineData(1L << 30, 2, true)]
    [InlineData(1L << 28, 8, false)]         // 8 ranks need 128 MiB, and as much again to spare
    [InlineData(1L << 29, 8, true)]
    public void The_window_is_used_only_where_dev_shm_holds_it_twice(long free, int ranks, bool fits) =>
        Assert.Equal(fits, SharedAllReduce.Fits(free, ranks));
}
