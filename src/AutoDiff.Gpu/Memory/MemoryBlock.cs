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

    public ArrayView<byte> Bytes => Segment.Buffer.View.AsContiguous().SubView(Segment.Start + Offset, Size);

    /// <summary>The block's first <paramref name="bytes"/> as elements of <typeparamref name="T"/>.</summary>
    public ArrayView<T> View<T>(long bytes)
        where T : unmanaged =>
        Bytes.SubView(0, bytes).Cast<T>();

    /// <summary>Index in the pool's list of borrowed blocks, or -1 while cached.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>When it was last lent (the pool's count of loans): the latest lent is the likeliest still in cache.</summary>
    public long LentAt { get; set; }

    /// <summary>True while borrowed by an object the GC has not found unreachable.</summary>
    public bool OwnerAlive => owner.Target is not null;

    public void Lend(object borrower) => owner.Target = borrower;

    /// <summary>Takes the block back from its borrower; the pending tensors that read it are forgotten.</summary>
    public void Unlend()
    {
        owner.Target = null;
        if (Volatile.Read(ref readers) is { } list)
        {
            lock (list)
                FreeAll(list);
        }
    }

    /// <summary>Records, by a weak handle (no finalizer), a pending tensor whose expression reads this block.</summary>
    public void AddReader(object pending)
    {
        if (Volatile.Read(ref readers) is null)
            Interlocked.CompareExchange(ref readers, new List<GCHandle>(4), null);
        var list = readers!;
        lock (list)
        {
            if (list.Count == list.Capacity)
            {
                // Forget the readers that were collected or computed since they were recorded.
                list.RemoveAll(static h =>
                {
                    if (h.Target is Tensor { IsPending: true })
                        return false;
                    h.Free();
                    return true;
                });
            }
            list.Add(GCHandle.Alloc(pending, GCHandleType.Weak));
        }
    }

    /// <summary>The pending tensors recorded as readers and still pending; the record is emptied.</summary>
    public IReadOnlyList<Tensor> TakeReaders()
    {
        if (Volatile.Read(ref readers) is not { Count: > 0 } list)
            return [];
        var pending = new List<Tensor>();
        lock (list)
        {
            foreach (var h in list)
            {
                if (h.Target is Tensor { IsPending: true } t)
                    pending.Add(t);
            }
            FreeAll(list);
        }
        return pending;
    }

    private static void FreeAll(List<GCHandle> list)
    {
        foreach (var h in list)
            h.Free();
        list.Clear();
    }

    private List<GCHandle>? readers;

    /// <summary>Frees the handles; the segment is freed by the pool.</summary>
    public void Release()
    {
        Unlend();
        owner.Free();
    }
}
