using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// How an elementwise kernel over <c>n</c> elements is launched on one accelerator: the grid, the group size
/// and, for the CPU accelerator, the contiguous chunk each thread takes.
/// </summary>
/// <param name="Config">Grid and group dimensions.</param>
/// <param name="Chunk">Elements per thread on the CPU accelerator; GPUs ignore it and stride over the grid.</param>
public readonly record struct LaunchPlan(KernelConfig Config, long Chunk)
{
    /// <summary>Below this many elements the CPU accelerator gives all the work to one thread: waking the others costs more.</summary>
    public const long CpuSerialThreshold = 32 * 1024;

    /// <summary>Threads per group on GPUs.</summary>
    public const int GpuGroupSize = 512;

    /// <summary>The launch plan for <paramref name="n"/> elements (n ≥ 1) on <paramref name="accelerator"/>.</summary>
    public static LaunchPlan For(Accelerator accelerator, long n)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1L);
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
        {
            // One group whose threads are the accelerator's OS threads; each takes one contiguous chunk.
            int threads = accelerator.MaxNumThreadsPerGroup;
            long chunk = n <= CpuSerialThreshold ? n : (n + threads - 1) / threads;
            return new LaunchPlan(new KernelConfig(1, threads), chunk);
        }

        int group = Math.Min(GpuGroupSize, accelerator.MaxNumThreadsPerGroup);
        // One full wave of resident groups, fewer when the array is small; threads stride over the rest.
        long wave = Math.Max(1L, (long)accelerator.NumMultiprocessors * Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / group));
        long groups = Math.Min(wave, (n + group - 1) / group);
        return new LaunchPlan(new KernelConfig((int)groups, group), 1);
    }
}
