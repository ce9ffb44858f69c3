using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>
/// One device allocation of the pool: a large block of its own, or a segment that small blocks are carved from
/// (as PyTorch's caching allocator carves blocks under 1 MiB from 2 MiB segments), so that a program making
/// many small tensors makes few device allocations.
/// </summary>
internal sealed class Segment(MemoryBuffer1D<byte, Stride1D.Dense> buffer)
{
    public MemoryBuffer1D<byte, Stride1D.Dense> Buffer { get; } = buffer;

    public long Size => Buffer.Length;

    /// <summary>Bytes handed out as blocks so far.</summary>
    public long Carved { get; set; }

    /// <summary>Blocks carved from it.</summary>
    public int Blocks { get; set; }

    /// <summary>Of those, the ones in the cache now: when all are, the segment can go back to the device.</summary>
    public int CachedBlocks { get; set; }

    public bool Idle => CachedBlocks == Blocks;
}
