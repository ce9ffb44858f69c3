using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>
/// One device allocation of the pool: a large block of its own, or a segment that small blocks are carved from
/// (as PyTorch's caching allocator carves blocks under 1 MiB from 2 MiB segments), so that a program making
/// many small tensors makes few device allocations. Its blocks take <see cref="Size"/> bytes from
/// <see cref="Start"/> on: the buffer may be longer, for alignment.
/// </summary>
internal sealed class Segment(MemoryBuffer1D<byte, Stride1D.Dense> buffer, long start, long size)
{
    public MemoryBuffer1D<byte, Stride1D.Dense> Buffer { get; } = buffer;

    /// <summary>
    /// Bytes of the buffer before the first block: on the CPU, up to a cache line
    /// (<see cref="Kernels.CpuLaunch.CacheLine"/>).
    /// </summary>
    public long Start { get; } = start;

    /// <summary>Bytes for blocks (what the pool reserved).</summary>
    public long Size { get; } = size;

    /// <summary>Bytes handed out as blocks so far.</summary>
    public long Carved { get; set; }

    /// <summary>Blocks carved from it.</summary>
    public int Blocks { get; set; }

    /// <summary>Of those, the ones in the cache now: when all are, the segment can go back to the device.</summary>
    public int CachedBlocks { get; set; }

    public bool Idle => CachedBlocks == Blocks;
}
