using System.Collections.Concurrent;
using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>One block of device memory owned by the pool; a tensor borrows it.</summary>
internal sealed class MemoryBlock(MemoryBuffer1D<byte, Stride1D.Dense> buffer, long size)
{
    public MemoryBuffer1D<byte, Stride1D.Dense> Buffer { get; } = buffer;

    public long Size { get; } = size;

    public ArrayView<byte> Bytes => Buffer.View.AsContiguous();
}

/// <summary>A snapshot of a device's memory statistics.</summary>
/// <param name="AllocatedBytes">Bytes held by live tensors (in pool size classes).</param>
/// <param name="PeakAllocatedBytes">Highest <paramref name="AllocatedBytes"/> since the device was opened or <see cref="DeviceMemory.ResetPeak"/>.</param>
/// <param name="ReservedBytes">Bytes reserved from the device: allocated plus cached.</param>
/// <param name="DeviceAllocations">Allocations that reached the device (cache misses).</param>
/// <param name="CachedAllocations">Allocations served from the cache.</param>
public readonly record struct MemoryStatistics(long AllocatedBytes, long PeakAllocatedBytes, long ReservedBytes, long DeviceAllocations, long CachedAllocations)
{
    /// <summary>Reserved bytes not held by any tensor.</summary>
    public long CachedBytes => ReservedBytes - AllocatedBytes;
}

/// <summary>
/// The caching allocator of one device. Freed blocks go back to a pool keyed by size class and are reused
/// without touching the device, as PyTorch's CUDA caching allocator and CuPy's memory pool do. Blocks whose
/// tensors were collected by the GC are queued by the finalizer and returned by the next allocation, launch or
/// statistics read, never freed on the finalizer thread. Thread-safe.
/// </summary>
#pragma warning disable CA1001 // the recording is the caller's to dispose; the pool only refers to it
public sealed class DeviceMemory
#pragma warning restore CA1001
{
    /// <summary>Blocks below this size are rounded up to a multiple of <see cref="SmallGranularity"/>, larger ones to <see cref="LargeGranularity"/>.</summary>
    public const long SmallLimit = 1L << 20;

    /// <summary>Size class step of small blocks (512 bytes).</summary>
    public const long SmallGranularity = 512;

    /// <summary>Size class step of large blocks (2 MiB).</summary>
    public const long LargeGranularity = 2L << 20;

    private readonly Device device;
    private readonly Lock gate = new();
    private readonly Dictionary<long, Stack<MemoryBlock>> cached = [];
    private readonly HashSet<MemoryBlock> inUse = [];
    private readonly ConcurrentQueue<MemoryBlock> released = new();
    private long allocated;
    private long peak;
    private long reserved;
    private long deviceAllocations;
    private long cacheHits;
    private long collectThreshold;
    private long collections;
    private bool disposed;
    private MemoryRecording? recording;

    internal DeviceMemory(Device device, long? limit)
    {
        this.device = device;
        Limit = limit;
    }

    /// <summary>Bytes held by live tensors, in pool size classes (like <c>torch.cuda.memory_allocated</c>).</summary>
    public long AllocatedBytes => Snapshot().AllocatedBytes;

    /// <summary>Highest <see cref="AllocatedBytes"/> since the device was opened or <see cref="ResetPeak"/> (like <c>max_memory_allocated</c>).</summary>
    public long PeakAllocatedBytes => Snapshot().PeakAllocatedBytes;

    /// <summary>Bytes reserved from the device, allocated and cached (like <c>memory_reserved</c>).</summary>
    public long ReservedBytes => Snapshot().ReservedBytes;

    /// <summary>
    /// The most bytes the pool may reserve from the device, or null for no limit beyond the device's own.
    /// An allocation that would pass it first frees cached blocks and collects garbage, then fails with
    /// <see cref="DeviceOutOfMemoryException"/>.
    /// </summary>
    public long? Limit { get; set; }

    /// <summary>The size class a request of <paramref name="bytes"/> is served from.</summary>
    public static long RoundSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long step = bytes < SmallLimit ? SmallGranularity : LargeGranularity;
        return Math.Max(step, (bytes + step - 1) / step * step);
    }

    /// <summary>Current statistics, after returning the blocks of collected tensors.</summary>
    public MemoryStatistics Snapshot()
    {
        DrainReleased();
        lock (gate)
            return new MemoryStatistics(allocated, peak, reserved, deviceAllocations, cacheHits);
    }

    /// <summary>Sets the peak to the current allocated bytes.</summary>
    public void ResetPeak()
    {
        DrainReleased();
        lock (gate)
            peak = allocated;
    }

    /// <summary>Returns every cached (unused) block to the device (like <c>torch.cuda.empty_cache</c>).</summary>
    public void EmptyCache()
    {
        DrainReleased();
        device.BindToThisThread();
        lock (gate)
            FreeCachedLocked();
    }

    /// <summary>
    /// Starts recording <see cref="AllocatedBytes"/> at every allocation and release until the recording is disposed.
    /// One recording at a time per device.
    /// </summary>
    public MemoryRecording StartRecording()
    {
        DrainReleased();
        lock (gate)
        {
            if (recording is not null)
                throw new InvalidOperationException($"{device.Id} is already recording its memory");
            recording = new MemoryRecording(this, allocated);
            return recording;
        }
    }

    internal bool StopRecording(MemoryRecording r)
    {
        lock (gate)
        {
            if (!ReferenceEquals(recording, r))
                return false;
            recording = null;
            return true;
        }
    }

    internal MemoryBlock Rent(long bytes)
    {
        long size = RoundSize(bytes);
        DrainReleased();
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, device);
            if (TryTakeCachedLocked(size) is { } hit)
                return hit;
        }

        // A miss while the live bytes have grown well past what survived the last collection: tensors of
        // unreachable variables are likely waiting for the GC, so collect before reserving more.
        if (Volatile.Read(ref allocated) + size > Volatile.Read(ref collectThreshold))
        {
            var hit = CollectAndRetake(size);
            if (hit is not null)
                return hit;
        }

        // Everything below may free or allocate device memory: make the device current on this thread.
        device.BindToThisThread();
        Exception? failure = null;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (attempt == 1)
                ReclaimEverything();
            lock (gate)
            {
                if (attempt == 1 && TryTakeCachedLocked(size) is { } hit)
                    return hit;
                if (Limit is long limit && reserved + size > limit)
                {
                    FreeCachedLocked();
                    if (reserved + size > limit)
                        continue;
                }
                try
                {
                    var buffer = device.Accelerator.Allocate1D<byte>(size);
                    // The pool roots every block and frees it itself: never let a finalizer free device memory.
#pragma warning disable CA1816 // suppressing another object's finalizer is the point here
                    GC.SuppressFinalize(buffer);
#pragma warning restore CA1816
                    var block = new MemoryBlock(buffer, size);
                    reserved += size;
                    deviceAllocations++;
                    TakeLocked(block);
                    return block;
                }
                catch (Exception e) when (e is OutOfMemoryException or AcceleratorException or InvalidOperationException)
                {
                    failure = e;
                }
            }
        }
        long alloc, res;
        lock (gate)
        {
            alloc = allocated;
            res = reserved;
        }
        throw new DeviceOutOfMemoryException(device.Id, size, alloc, res, Limit, failure);
    }

    /// <summary>Returns a block at once (deterministic release); any thread.</summary>
    internal void Return(MemoryBlock block)
    {
        lock (gate)
            ReturnLocked(block);
    }

    /// <summary>Queues a block whose tensor was collected; called on the finalizer thread, does no device work.</summary>
    internal void ReturnFromFinalizer(MemoryBlock block)
    {
        if (!Volatile.Read(ref disposed))
            released.Enqueue(block);
    }

    /// <summary>Returns the queued blocks of collected tensors to the pool.</summary>
    internal void DrainReleased()
    {
        if (released.IsEmpty)
            return;
        lock (gate)
        {
            while (released.TryDequeue(out var block))
                ReturnLocked(block);
        }
    }

    internal void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            released.Clear();
            FreeCachedLocked();
            foreach (var block in inUse)
                block.Buffer.Dispose();
            inUse.Clear();
            allocated = 0;
            reserved = 0;
        }
    }

    /// <summary>Collections the pool started to reclaim the buffers of unreachable tensors.</summary>
    public long Collections => Interlocked.Read(ref collections);

    private MemoryBlock? CollectAndRetake(long size)
    {
        CollectGarbage();
        lock (gate)
        {
            var hit = TryTakeCachedLocked(size);
            long live = hit is null ? allocated : allocated - hit.Size;
            collectThreshold = Math.Max(2 * live, live + (4 * size));
            return hit;
        }
    }

    private void ReclaimEverything()
    {
        CollectGarbage();
        lock (gate)
            FreeCachedLocked();
    }

    /// <summary>
    /// Collects unreachable tensors and returns their blocks to the pool. A full blocking collection: tensors of
    /// a long-lived graph may sit in any generation, and a partial one would leave them.
    /// </summary>
    private void CollectGarbage()
    {
        Interlocked.Increment(ref collections);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        DrainReleased();
    }

    private MemoryBlock? TryTakeCachedLocked(long size)
    {
        if (!cached.TryGetValue(size, out var stack) || !stack.TryPop(out var block))
            return null;
        cacheHits++;
        TakeLocked(block);
        return block;
    }

    private void TakeLocked(MemoryBlock block)
    {
        inUse.Add(block);
        allocated += block.Size;
        if (allocated > peak)
            peak = allocated;
        recording?.Add(allocated);
    }

    private void ReturnLocked(MemoryBlock block)
    {
        if (disposed || !inUse.Remove(block))
            return;
        allocated -= block.Size;
        if (!cached.TryGetValue(block.Size, out var stack))
            cached[block.Size] = stack = new Stack<MemoryBlock>();
        stack.Push(block);
        recording?.Add(allocated);
    }

    private void FreeCachedLocked()
    {
        foreach (var stack in cached.Values)
        {
            while (stack.TryPop(out var block))
            {
                reserved -= block.Size;
                block.Buffer.Dispose();
            }
        }
    }
}

/// <summary>Allocated device bytes over time, sampled at every allocation and release while it is open.</summary>
public sealed class MemoryRecording : IDisposable
{
    private readonly DeviceMemory owner;
    private readonly long start;
    private readonly List<(double Microseconds, long Bytes)> samples = [];

    internal MemoryRecording(DeviceMemory owner, long allocatedNow)
    {
        this.owner = owner;
        last = allocatedNow;
        start = Stopwatch.GetTimestamp();
        samples.Add((0, allocatedNow));
    }

    private long last;

    /// <summary>The samples: microseconds since the start and allocated bytes just after each change.</summary>
    public IReadOnlyList<(double Microseconds, long Bytes)> Samples => samples;

    /// <summary>Stops recording with a last sample at the stop time; the samples stay readable.</summary>
    public void Dispose()
    {
        if (owner.StopRecording(this))
            Add(last);
    }

    internal void Add(long bytes)
    {
        last = bytes;
        samples.Add((Stopwatch.GetElapsedTime(start).TotalMicroseconds, bytes));
    }
}
