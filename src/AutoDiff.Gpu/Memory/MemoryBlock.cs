using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>
/// One block of device memory owned by the pool; a tensor borrows it. While borrowed, a weak GC handle points at
/// the borrower: once the GC finds it unreachable the handle reads null, and the pool takes the block back on its
/// own thread (no finalizer involved).
/// </summary>
internal sealed class MemoryBlock
{
    private GCHandle owner;

    public MemoryBlock(Segment segment, long offset, long size)
    {
        Segment = segment;
        Offset = offset;
        Size = size;
        owner = GCHandle.Alloc(null, GCHandleType.Weak);
        segment.Blocks++;
    }

    public Segment Segment { get; }

    public long Offset { get; }

    public long Size { get; }

    public ArrayView<byte> Bytes => Segment.Buffer.View.AsContiguous().SubView(Offset, Size);

    /// <summary>Index in the pool's list of borrowed blocks, or -1 while cached.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>When it was last lent (the pool's count of loans): the latest lent is the likeliest still in cache.</summary>
    public long LentAt { get; set; }

    /// <summary>True while borrowed by an object the GC has not found unreachable.</summary>
    public bool OwnerAlive => owner.Target is not null;

    public void Lend(object borrower) => owner.Target = borrower;

    public void Unlend() => owner.Target = null;

    /// <summary>Frees the handle; the segment is freed by the pool.</summary>
    public void Release() => owner.Free();
}
