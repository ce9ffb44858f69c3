using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The CPU accelerator's tensors are host memory, which Linux overcommits: without a check, running out ends the
/// process (the kernel kills it at a first write) instead of raising <see cref="DeviceOutOfMemoryException"/>. The
/// pool asks how much the host can still back and backs what it takes at once; these cases replace the question's
/// answer (<see cref="DeviceMemory.HostProbe"/>) so that running out is exact and cheap, and read the real files'
/// formats from samples.
/// </summary>
public sealed partial class HostMemoryTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    private const long Block = 4L << 20; // a (1000, 1000) float32 tensor's size class

    private static readonly int[] Lengths = [1, 3, 100, 1000, 70_000, 300_000, 1_000_000];

    [Fact]
    public void A_reservation_the_host_cannot_back_is_a_clear_out_of_memory_and_loses_nothing()
    {
        using var device = fixture.OpenFresh();
        long room = 10L << 20;
        device.Memory.HostProbe = () => new HostHeadroom(room + (64L << 20), 64L << 20, "a test's figures");
        var a = new Variable(device.Full(new Shape(1000, 1000), 3, DType.Float32));

        var e = Assert.Throws<DeviceOutOfMemoryException>(() => device.Ones(4000, 1000));
        Assert.Equal(16L << 20, e.RequestedBytes);
        Assert.Equal(Block, e.AllocatedBytes);
        Assert.IsType<InsufficientMemoryException>(e.InnerException);
        Assert.Contains("(4000, 1000) float32", e.Message, StringComparison.Ordinal);
        Assert.Contains("host memory: reserving 16,777,216 more bytes would leave less than the 67,108,864 bytes kept free", e.Message, StringComparison.Ordinal);
        Assert.Contains("(77,594,624 available, a test's figures)", e.Message, StringComparison.Ordinal);
        // Nothing lost: the tensor that was there is intact, and operations that fit still run.
        Assert.All(a.Data.ToArray<float>(), v => Assert.Equal(3f, v));
        using (Config.NoGrad())
            Assert.All(Square(a).ToArray<float>(), v => Assert.Equal(9f, v));
        Assert.Equal(0, device.Memory.Snapshot().ReservedBytes % Block);
    }

    [Fact]
    public void Cached_blocks_are_reused_without_asking_the_host_and_an_unknown_answer_tries_the_allocation()
    {
        using var device = fixture.OpenFresh();
        device.Memory.GarbageBudget = 0;
        device.Ones(1000, 1000).Dispose();
        long devicesAllocations = device.Memory.Snapshot().DeviceAllocations;

        device.Memory.HostProbe = () => new HostHeadroom(0, 64L << 20, "nothing left");
        using (var again = device.Ones(1000, 1000))
            Assert.Equal(devicesAllocations, device.Memory.Snapshot().DeviceAllocations);
        Assert.Throws<DeviceOutOfMemoryException>(() => device.Ones(2000, 1000));

        device.Memory.HostProbe = () => null;
        using var larger = device.Ones(2000, 1000);
        Assert.Equal(devicesAllocations + 1, device.Memory.Snapshot().DeviceAllocations);
        Assert.Equal(1f, larger.ToArray<float>()[^1]);
    }

    [Fact]
    public void What_the_pool_reserves_is_backed_by_the_system_at_once()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Skip("host memory is checked and backed at allocation on Linux only (where it is overcommitted)");
        using var device = fixture.OpenFresh();
        // 64 MiB: past the C library's largest threshold for mapping fresh pages, so nothing is resident by chance.
        using var t = device.Empty(new Shape(16 << 20), DType.Float32);
        Assert.Equal(1.0, ResidentFraction(AddressOf(t), 64L << 20));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Touch_backs_every_page_of_a_range_that_starts_and_ends_inside_pages(bool populate)
    {
        if (!OperatingSystem.IsLinux())
            Assert.Skip("residency is read with mincore, on Linux only");
        long bytes = 200L << 20; // several pieces, touched on several threads
        nint raw = Marshal.AllocHGlobal((nint)bytes + 8192);
        try
        {
            nint start = raw + 100;
            long length = bytes - 300;
            Assert.True(ResidentFraction(start, length) < 0.01, "fresh pages should not be resident yet");
            Assert.True(HostMemory.Touch(start, length, populate));
            Assert.Equal(1.0, ResidentFraction(start, length));
        }
        finally
        {
            Marshal.FreeHGlobal(raw);
        }
    }

    [Fact]
    public void Every_tensor_starts_on_a_cache_line_small_ones_carved_and_large_ones_alone()
    {
        using var device = fixture.OpenFresh();
        // Host allocations start 16 bytes past a line; a 64-byte vector load there spans two lines.
        var tensors = Lengths.Select(n => device.Ones(n)).ToList();
        Assert.All(tensors, t => Assert.Equal(0, AddressOf(t) % 64));
        Assert.All(tensors, t => Assert.Equal(1f, t.ToArray<float>()[^1]));
        tensors.ForEach(t => t.Dispose());
    }

    [Fact]
    public void Huge_pages_are_advised_over_the_whole_ones_inside_a_range_and_never_outside_it()
    {
        if (!Directory.Exists("/sys/kernel/mm/transparent_hugepage"))
            Assert.Skip("this system has no transparent huge pages (Linux with /sys/kernel/mm/transparent_hugepage)");
        long bytes = 3 * HostMemory.HugePageBytes;
        nint raw = Marshal.AllocHGlobal((nint)bytes);
        try
        {
            // Three huge pages' bytes hold at least two whole ones; a page less one byte never holds one.
            Assert.True(HostMemory.AdviseHugePages(raw, bytes));
            nint aligned = (nint)(((long)raw + HostMemory.HugePageBytes - 1) & -HostMemory.HugePageBytes);
            Assert.False(HostMemory.AdviseHugePages(aligned + 1, HostMemory.HugePageBytes - 1));
        }
        finally
        {
            Marshal.FreeHGlobal(raw);
        }
    }

    [Fact]
    public void The_host_is_asked_again_only_when_half_of_its_last_answer_is_taken()
    {
        int asked = 0;
        long room = 100L << 20;
        var allowance = new HostAllowance(() =>
        {
            asked++;
            return new HostHeadroom(room + (64L << 20), 64L << 20, "test");
        }, TimeSpan.MaxValue);
        allowance.Take(20L << 20);
        allowance.Take(20L << 20);
        Assert.Equal(1, asked);             // 40 MiB of the 100 taken: within half
        allowance.Take(20L << 20);          // 60 would pass half: asks again
        Assert.Equal(2, asked);
        room = 10L << 20;
        var e = Assert.Throws<InsufficientMemoryException>(() => allowance.Take(40L << 20));
        Assert.Equal(3, asked);             // 20 + 40 passes half of the last answer: asks, and it no longer fits
        Assert.Contains("reserving 41,943,040 more bytes", e.Message, StringComparison.Ordinal);
        allowance.Take(4L << 20);           // within half of the new answer
        Assert.Equal(3, asked);
        Assert.Throws<InsufficientMemoryException>(() => allowance.Take(12L << 20));
        Assert.Equal(4, asked);             // a refusal is never from an old answer
        allowance.Probe = () => null;       // unknown: nothing refused
        allowance.Take(1L << 40);
    }

    [Fact]
    public void Meminfo_fields_are_read_in_bytes()
    {
        const string Sample = "MemTotal:       24684092 kB\nMemFree:        22000000 kB\nMemAvailable:   24317512 kB\nHugePages_Total:       0\n";
        Assert.Equal(24684092L * 1024, HostMemory.MemInfo(Sample, "MemTotal"));
        Assert.Equal(24317512L * 1024, HostMemory.MemInfo(Sample, "MemAvailable"));
        Assert.Equal(0, HostMemory.MemInfo(Sample, "HugePages_Total"));
        Assert.Null(HostMemory.MemInfo(Sample, "Mem"));
        Assert.Null(HostMemory.MemInfo(Sample, "SwapTotal"));
    }

    [Fact]
    public void Control_group_headroom_counts_inactive_file_pages_as_free_and_ignores_no_limit()
    {
        const string V2Stat = "anon 500000000\nfile 300000000\ninactive_file 100000000\nactive_file 200000000\n";
        Assert.Equal((1_000_000_000L, 500_000_000L), HostMemory.GroupHeadroom("1000000000\n", "600000000\n", V2Stat, "inactive_file"));
        Assert.Null(HostMemory.GroupHeadroom("max\n", "600000000\n", V2Stat, "inactive_file"));
        // cgroup v1's "no limit" is 2^63 − 1 rounded down to a page.
        Assert.Null(HostMemory.GroupHeadroom("9223372036854771712\n", "22773760\n", null, "total_inactive_file"));
        const string V1Stat = "cache 1000\ninactive_file 5\ntotal_inactive_file 300\n";
        Assert.Equal((2000L, 1300L), HostMemory.GroupHeadroom("2000", "1000", V1Stat, "total_inactive_file"));
        // Over the limit: nothing left, never negative.
        Assert.Equal((2000L, 0L), HostMemory.GroupHeadroom("2000", "5000", null, "total_inactive_file"));
    }

    [Fact]
    public void What_is_kept_free_is_a_thirty_second_of_memory_between_64_and_512_MiB()
    {
        Assert.Equal(64L << 20, HostMemory.KeptFree(1L << 30));
        Assert.Equal(256L << 20, HostMemory.KeptFree(8L << 30));
        Assert.Equal(512L << 20, HostMemory.KeptFree(64L << 30));
        var headroom = new HostHeadroom(1L << 30, 64L << 20, "x");
        Assert.Equal((1L << 30) - (64L << 20), headroom.Bytes);
    }

    [Fact]
    public void The_probe_reads_this_host()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Skip("the probe reads /proc/meminfo, on Linux only");
        var probe = HostMemory.Probe();
        Assert.NotNull(probe);
        Assert.InRange(probe.Value.AvailableBytes, 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes + (1L << 30));
        Assert.InRange(probe.Value.KeptFreeBytes, HostMemory.MinKeptFree, HostMemory.MaxKeptFree);
    }

    private static unsafe nint AddressOf(Tensor t) => (nint)Unsafe.AsPointer(ref t.View<byte>()[0L]);

    /// <summary>The fraction of the pages of [address, +bytes) that are resident, from mincore.</summary>
    private static double ResidentFraction(nint address, long bytes)
    {
        long page = Environment.SystemPageSize;
        long first = (long)address & -page, end = ((long)address + bytes + page - 1) & -page;
        var vector = new byte[(end - first) / page];
        Assert.Equal(0, Mincore((nint)first, (nuint)(end - first), vector));
        return vector.Count(v => (v & 1) != 0) / (double)vector.Length;
    }

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int Mincore(nint address, nuint length, [Out] byte[] vector);
}
