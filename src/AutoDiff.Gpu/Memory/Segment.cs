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
    /// <summary>
    /// Alignment of a segment's first block on the CPU accelerator: a cache line, the widest vector. Host
    /// allocations come 16 bytes past one, so that half the 256-bit loads and every 512-bit load would span two
    /// lines; a sum of 64 MiB read that way took twice as long.
    /// </summary>
    public const long Alignment = 64;

    public MemoryBuffer1D<byte, Stride1D.Dense> Buffer { get; } = buffer;

    /// <summary>Bytes of the buffer before the first block (padding up to <see cref="Alignment"/>).</summary>
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
