using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>How elementwise kernels are laid out on an accelerator.</summary>
public enum KernelStyle
{
    /// <summary><see cref="Chunked"/> on the CPU accelerator, <see cref="Packed"/> elsewhere.</summary>
    Auto,

    /// <summary>
    /// Contiguous chunks of work items through raw pointers, run on the calling thread (large launches shared
    /// with thread-pool workers): for the CPU accelerator, whose memory is host memory and whose own launch
    /// wakes OS threads (20–60 µs; an <see cref="ArrayView{T}"/> access per element costs about 4 ns there, a
    /// pointer access well under 1 ns).
    /// </summary>
    Chunked,

    /// <summary>Grid-stride loops over 16-byte packs of elements: coalesced vector loads on GPUs.</summary>
    Packed,
}

/// <summary>
/// How an elementwise kernel over <c>n</c> work items is launched on one accelerator: the grid, the group size
/// and, for <see cref="KernelStyle.Chunked"/>, the contiguous chunk each thread takes.
/// </summary>
/// <param name="Config">Grid and group dimensions.</param>
/// <param name="Chunk">Elements per thread for chunked kernels; 1 for grid-stride kernels.</param>
internal readonly record struct LaunchPlan(KernelConfig Config, long Chunk)
{
    /// <summary>Below this many elements a chunked launch runs on the calling thread alone: sharing it costs more.</summary>
    public const long CpuSerialThreshold = 32 * 1024;

    /// <summary>Threads per group of grid-stride launches.</summary>
    public const int GpuGroupSize = 512;

    /// <summary>
    /// Waves of resident groups (<see cref="Wave"/>) that grid-stride launches and the reduction planner size
    /// their grids for. The wave counts 4 groups of 512 per SM (32 registers a thread), which unrolled loops
    /// exceed: with 2 or 3 resident, one wave's last groups would run nearly alone; with two waves' worth the
    /// hardware keeps starting groups as others finish, and the SMs stay full to the end.
    /// </summary>
    public const int GpuWaves = 2;

    /// <summary>The style <see cref="KernelStyle.Auto"/> stands for on <paramref name="accelerator"/>.</summary>
    public static KernelStyle Resolve(Accelerator accelerator, KernelStyle style)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (style != KernelStyle.Auto)
            return style;
        return accelerator.AcceleratorType == AcceleratorType.CPU ? KernelStyle.Chunked : KernelStyle.Packed;
    }

    /// <summary>The launch plan for <paramref name="n"/> work items (n ≥ 1) on <paramref name="accelerator"/> in the accelerator's own style.</summary>
    public static LaunchPlan For(Accelerator accelerator, long n) => For(accelerator, n, KernelStyle.Auto);

    /// <summary>The launch plan for <paramref name="n"/> work items (n ≥ 1) on <paramref name="accelerator"/> in <paramref name="style"/>.</summary>
    public static LaunchPlan For(Accelerator accelerator, long n, KernelStyle style) => For(accelerator, n, style, GpuWaves);

    /// <summary>
    /// The launch plan for <paramref name="n"/> work items (n ≥ 1) on <paramref name="accelerator"/> in
    /// <paramref name="style"/>, a grid-stride grid of at most <paramref name="waves"/> waves of groups.
    /// </summary>
    public static LaunchPlan For(Accelerator accelerator, long n, KernelStyle style, int waves)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(waves, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1L);
        if (Resolve(accelerator, style) == KernelStyle.Chunked)
        {
            // One group whose threads are the accelerator's threads; each takes one contiguous chunk. Small
            // arrays go to a group of one thread: the launch is about a quarter cheaper.
            if (n <= CpuSerialThreshold)
                return new LaunchPlan(new KernelConfig(1, 1), n);
            int threads = accelerator.MaxNumThreadsPerGroup;
            return new LaunchPlan(new KernelConfig(1, threads), (n + threads - 1) / threads);
        }

        int group = Math.Min(GpuGroupSize, accelerator.MaxNumThreadsPerGroup);
        // `waves` waves of resident groups (by default two: on an H100 or H200, 132 SMs × 4 groups of 512, twice),
        // fewer when the array is small; threads stride over the rest.
        long groups = Math.Min(waves * Wave(accelerator, group), (n + group - 1) / group);
        return new LaunchPlan(new KernelConfig((int)groups, group), 1);
    }

    /// <summary>Groups of <paramref name="group"/> threads that are resident at once on <paramref name="accelerator"/> (one wave).</summary>
    public static long Wave(Accelerator accelerator, int group)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentOutOfRangeException.ThrowIfLessThan(group, 1);
        return Math.Max(1L, (long)accelerator.NumMultiprocessors * Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / group));
    }

    /// <summary>
    /// The largest power of two that is at most <paramref name="limit"/> and at most the accelerator's group
    /// size: group sizes of kernels that reduce in shared memory by halving.
    /// </summary>
    public static int PowerOfTwoGroup(Accelerator accelerator, int limit = GpuGroupSize)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        int most = Math.Max(1, Math.Min(limit, accelerator.MaxNumThreadsPerGroup));
        return 1 << (31 - int.LeadingZeroCount(most));
    }

    /// <summary>Threads a chunked launch spreads <paramref name="n"/> work items over (1 below <see cref="CpuSerialThreshold"/>).</summary>
    public static int ChunkedThreads(Accelerator accelerator, long n)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return n <= CpuSerialThreshold ? 1 : accelerator.MaxNumThreadsPerGroup;
    }
}
