using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

// Blocks: cached, carved from segments, reserved from the device, lent and taken back.
#pragma warning disable CA1001 // the recording is the caller's to dispose; the pool only refers to it
public sealed partial class DeviceMemory
#pragma warning restore CA1001
{
    private MemoryBlock? TryTakeCachedLocked(long size, object owner)
    {
        if (!cached.TryGetValue(size, out var stack) || !stack.TryPop(out var block))
            return null;
        block.Segment.CachedBlocks--;
        cacheHits++;
        LendLocked(block, owner);
        return block;
    }

    /// <summary>
    /// Makes a new block within the limit: carved from the current segment when small, else from a new device
    /// allocation; returns cached blocks to the device first when that makes room.
    /// </summary>
    private MemoryBlock? TryReserveLocked(long size, object owner, ref Exception? failure)
    {
        bool small = size < SmallLimit;
        if (small && carving is { } current && current.Size - current.Carved >= size)
            return CarveLocked(current, size, owner);

        long want = small ? SegmentBytes : size;
        if (limit is long max && reserved + want > max)
        {
            FreeCachedLocked();
            // Under a tight limit a small request takes a smaller segment rather than fail.
            if (small)
                want = Math.Clamp(RoundDown(max - reserved), size, SegmentBytes);
            if (reserved + want > max)
                return null;
        }
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                var segment = AllocateFromDevice(want);
                segments.Add(segment);
                reserved += want;
                deviceAllocations++;
                if (small)
                    carving = segment;
                return CarveLocked(segment, size, owner);
            }
            catch (Exception e) when (e is OutOfMemoryException or AcceleratorException or InvalidOperationException)
            {
                failure = e;
                if (reserved == allocated)
                    return null;
                FreeCachedLocked();
            }
        }
        return null;
    }

    /// <summary>
    /// A device allocation of <paramref name="bytes"/> for blocks. On the CPU accelerator it is host memory: refused
    /// (as an <see cref="InsufficientMemoryException"/> naming the host's numbers) when the host cannot back it, and
    /// backed at once, so that running out is an exception here and not the system killing the process at a first
    /// write; its blocks begin on a cache line (<see cref="CpuLaunch.CacheLine"/>).
    /// </summary>
    private Segment AllocateFromDevice(long bytes)
    {
        MemoryBuffer1D<byte, Stride1D.Dense> buffer;
        long start = 0;
        if (device.Kind != DeviceKind.Cpu)
        {
            buffer = device.Accelerator.Allocate1D<byte>(bytes);
        }
        else
        {
            long padded = bytes + CpuLaunch.CacheLine;
            lock (HostMemory.Gate)
            {
                // The padding is within the check's margin; its errors name the bytes asked for.
                host.Take(bytes);
                buffer = device.Accelerator.Allocate1D<byte>(padded);
                HostMemory.AdviseHugePages(buffer.NativePtr, padded);
                if (!HostMemory.Touch(buffer.NativePtr, padded))
                {
                    buffer.Dispose();
                    throw new InsufficientMemoryException($"host memory: the system could not back {bytes:N0} bytes");
                }
            }
            start = CpuLaunch.ToCacheLine(buffer.NativePtr);
        }
        // The pool roots every segment and frees it itself: never let a finalizer free device memory.
#pragma warning disable CA1816 // suppressing another object's finalizer is the point here
        GC.SuppressFinalize(buffer);
#pragma warning restore CA1816
        return new Segment(buffer, start, bytes);
    }

    private static long RoundDown(long bytes) => bytes / SmallGranularity * SmallGranularity;

    private MemoryBlock CarveLocked(Segment segment, long size, object owner)
    {
        var block = new MemoryBlock(segment, segment.Carved, size);
        segment.Carved += size;
        LendLocked(block, owner);
        return block;
    }

    private void LendLocked(MemoryBlock block, object owner)
    {
        block.Lend(owner);
        block.LentAt = ++loans;
        block.Slot = lent.Count;
        lent.Add(block);
        allocated += block.Size;
        if (allocated > peak)
            peak = allocated;
        recording?.Add(allocated);
    }

    private void RemoveLentLocked(MemoryBlock block)
    {
        int slot = block.Slot;
        var last = lent[^1];
        lent[slot] = last;
        last.Slot = slot;
        lent.RemoveAt(lent.Count - 1);
        block.Slot = -1;
        block.Unlend();
    }

    private void CacheLocked(MemoryBlock block)
    {
        allocated -= block.Size;
        block.Segment.CachedBlocks++;
        if (!cached.TryGetValue(block.Size, out var stack))
            cached[block.Size] = stack = new Stack<MemoryBlock>();
        stack.Push(block);
        recording?.Add(allocated);
    }

    /// <summary>Returns to the device every segment whose blocks are all cached (like <c>torch.cuda.empty_cache</c>).</summary>
    private void FreeCachedLocked()
    {
        if (!segments.Exists(g => g.Idle))
            return;
        foreach (var stack in cached.Values)
        {
            var blocks = stack.ToArray();
            stack.Clear();
            // ToArray lists the top first: push back bottom first to keep the order.
            for (int i = blocks.Length - 1; i >= 0; i--)
            {
                if (blocks[i].Segment.Idle)
                    blocks[i].Release();
                else
                    stack.Push(blocks[i]);
            }
        }
        segments.RemoveAll(segment =>
        {
            if (!segment.Idle)
                return false;
            reserved -= segment.Size;
            segment.Buffer.Dispose();
            if (ReferenceEquals(carving, segment))
                carving = null;
            return true;
        });
    }
}
