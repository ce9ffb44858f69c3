using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>
/// The caching allocator of one device. Freed blocks go back to a pool keyed by size class and are reused
/// without touching the device, as PyTorch's CUDA caching allocator and CuPy's memory pool do.
/// <para>
/// Tensors need not be disposed. Each borrowed block holds a weak GC handle to its tensor; after any garbage
/// collection the pool sweeps those handles on the allocating thread and takes back the blocks of unreachable
/// tensors, so device memory is never freed on the finalizer thread and nothing waits for finalizers. Because the
/// GC does not see device memory, the pool starts collections itself: when a cache miss would take the bytes
/// held by tensors more than <see cref="GarbageBudget"/> above what was live after the last collection, it runs
/// a generation-1 collection (tens of microseconds, whatever the size of the managed heap), which finds the
/// young tensors a loop drops. It escalates to a full collection only when the live bytes after ephemeral
/// collections keep growing past both the budget and what the last full collection left, or before failing an
/// allocation. Thread-safe.
/// </para>
/// <para>
/// On the CPU accelerator the device is the host: a reservation is checked against what the host can still back
/// (<see cref="HostMemory"/>) and backed at once, so that running out is a <see cref="DeviceOutOfMemoryException"/>
/// and not the system killing the process at a first write.
/// </para>
/// </summary>
#pragma warning disable CA1001 // the recording is the caller's to dispose; the pool only refers to it
public sealed partial class DeviceMemory
#pragma warning restore CA1001
{
    /// <summary>Blocks below this size are rounded up to a multiple of <see cref="SmallGranularity"/>, larger ones to <see cref="LargeGranularity"/>.</summary>
    public const long SmallLimit = 1L << 20;

    /// <summary>Size class step of small blocks (512 bytes).</summary>
    public const long SmallGranularity = 512;

    /// <summary>Size class step of large blocks (2 MiB).</summary>
    public const long LargeGranularity = 2L << 20;

    /// <summary>The smallest default <see cref="GarbageBudget"/>: 64 MiB.</summary>
    public const long MinDefaultBudget = 64L << 20;

    /// <summary>The largest default <see cref="GarbageBudget"/>: 2 GiB.</summary>
    public const long MaxDefaultBudget = 2L << 30;

    /// <summary>Size of the device allocations small blocks are carved from: 2 MiB.</summary>
    public const long SegmentBytes = 2L << 20;

    /// <summary>
    /// Tensors the pool lets wait for the GC, whatever their bytes, before it collects: it keeps the sweeps
    /// short and the blocks of tiny tensors few.
    /// </summary>
    public const int PendingTensorLimit = 16384;

    private readonly Device device;
    private readonly long capacity;
    private readonly Lock gate = new();
    private readonly HostAllowance host = new(HostMemory.Probe);
    private readonly Dictionary<long, Stack<MemoryBlock>> cached = [];
    private readonly List<MemoryBlock> lent = [];
    private readonly List<Segment> segments = [];
    private readonly List<MemoryBlock> dead = [];
    private readonly List<long> deadLentAt = [];
    private long loans;
    private Segment? carving;
    private int lentAfterCollection;
    private long allocated;
    private long peak;
    private long reserved;
    private long deviceAllocations;
    private long cacheHits;
    private long ephemeralCollections;
    private long fullCollections;
    private long reclaimed;
    private long budget;
    private bool adaptiveBudget = true;
    private long? limit;
    private long liveAfterCollection;
    private long liveAfterFullCollection;
    private int sweptAtCollection = -1;
    private int sweptAtFullCollection = -1;
    private bool disposed;
    private MemoryRecording? recording;

    internal DeviceMemory(Device device, long capacity)
    {
        this.device = device;
        this.capacity = capacity;
        budget = DefaultBudget(device.Kind, capacity);
    }

    /// <summary>Bytes held by tensors not yet known to be unreachable, in pool size classes (like <c>torch.cuda.memory_allocated</c>).</summary>
    public long AllocatedBytes => Snapshot().AllocatedBytes;

    /// <summary>Highest <see cref="AllocatedBytes"/> since the device was opened or <see cref="ResetPeak"/> (like <c>max_memory_allocated</c>).</summary>
    public long PeakAllocatedBytes => Snapshot().PeakAllocatedBytes;

    /// <summary>Bytes reserved from the device, allocated and cached (like <c>memory_reserved</c>).</summary>
    public long ReservedBytes => Snapshot().ReservedBytes;

    /// <summary>
    /// The most bytes the pool may reserve from the device, or null for no limit beyond the device's own.
    /// Under a limit the pool collects earlier (see <see cref="GarbageBudget"/>); an allocation that would pass
    /// it first collects garbage and returns cached blocks, then fails with <see cref="DeviceOutOfMemoryException"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public long? Limit
    {
        get
        {
            lock (gate)
                return limit;
        }
        set
        {
            if (value is long v)
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v, nameof(Limit));
            lock (gate)
                limit = value;
        }
    }

    /// <summary>
    /// Bytes of possibly unreachable tensors the pool lets build up before it starts a garbage collection to find
    /// them. A larger budget means fewer collections and more reserved memory: in a loop that drops its tensors
    /// without disposing them, reserved bytes settle near the loop's live bytes plus this budget.
    /// <para>
    /// Unless set, the budget starts at <see cref="DefaultBudget"/>: 1/64 of a GPU's memory, at least 64 MiB and at
    /// most 2 GiB (1.2 GiB on an 80 GB card: one collection of about 50 µs per 60 iterations of the seed at 100³,
    /// which drops 20 MB an iteration), and 64 MiB on the CPU accelerator, whose memory is the host's and whose
    /// caches favour reuse. It then adapts: when a full collection finds more than half a budget of tensors that
    /// ephemeral ones missed (they outlived two collections, as happens when a loop drops more than the budget per
    /// iteration), the budget doubles, up to half the memory left above the live bytes, so that what a loop
    /// drops dies young again. Setting a value fixes it (zero collects at every cache miss).
    /// </para>
    /// Near the device's capacity or a <see cref="Limit"/> the pool uses less than the budget: at most half the
    /// headroom above the live bytes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long GarbageBudget
    {
        get => Volatile.Read(ref budget);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(GarbageBudget));
            lock (gate)
            {
                budget = value;
                adaptiveBudget = false;
            }
        }
    }

    /// <summary>
    /// Where a CPU accelerator's pool learns how much host memory it may still reserve (<see cref="HostMemory.Probe"/>;
    /// tests replace it). Null answers mean unknown: the allocation is tried as it is.
    /// </summary>
    internal Func<HostHeadroom?> HostProbe
    {
        get => host.Probe;
        set
        {
            lock (HostMemory.Gate)
                host.Probe = value;
        }
    }

    /// <summary>The default <see cref="GarbageBudget"/> of a device of <paramref name="kind"/> with <paramref name="memoryBytes"/> of memory.</summary>
    public static long DefaultBudget(DeviceKind kind, long memoryBytes) =>
        kind == DeviceKind.Cpu ? MinDefaultBudget : Math.Clamp(memoryBytes / 64, MinDefaultBudget, MaxDefaultBudget);

    /// <summary>The size class a request of <paramref name="bytes"/> is served from.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative or too large for any size class.</exception>
    public static long RoundSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long step = bytes < SmallLimit ? SmallGranularity : LargeGranularity;
        if (bytes > long.MaxValue - step)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"{bytes:N0} bytes is more than any device holds");
        return Math.Max(step, (bytes + step - 1) / step * step);
    }

    /// <summary>Current statistics, after taking back the blocks of tensors found unreachable since the last look.</summary>
    public MemoryStatistics Snapshot()
    {
        lock (gate)
        {
            SweepIfCollectedLocked();
            return new MemoryStatistics(
                allocated, peak, reserved, deviceAllocations, cacheHits, ephemeralCollections, fullCollections, reclaimed);
        }
    }

    /// <summary>Sets the peak to the current allocated bytes.</summary>
    public void ResetPeak()
    {
        lock (gate)
        {
            SweepIfCollectedLocked();
            peak = allocated;
        }
    }

    /// <summary>Returns every cached (unused) block to the device (like <c>torch.cuda.empty_cache</c>).</summary>
    public void EmptyCache()
    {
        device.BindToThisThread();
        lock (gate)
        {
            SweepIfCollectedLocked();
            FreeCachedLocked();
        }
    }

    /// <summary>
    /// Finds every unreachable tensor now, with a full blocking garbage collection, and takes its block back into
    /// the cache (as Python's <c>gc.collect()</c> before <c>torch.cuda.empty_cache()</c>). Never needed for
    /// correctness; useful before reading statistics. Not counted in <see cref="MemoryStatistics.FullCollections"/>,
    /// which counts only the collections the pool started on its own.
    /// </summary>
    public void Collect()
    {
        GC.Collect();
        lock (gate)
            SweepLocked();
    }

    /// <summary>
    /// Starts recording <see cref="AllocatedBytes"/> at every allocation and release until the recording is disposed.
    /// One recording at a time per device.
    /// </summary>
    public MemoryRecording StartRecording()
    {
        lock (gate)
        {
            if (disposed)
                device.ThrowIfDisposed();
            SweepIfCollectedLocked();
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

    /// <summary>Lends <paramref name="owner"/> a block of at least <paramref name="bytes"/>; the block comes back when <paramref name="owner"/> is returned or found unreachable.</summary>
    internal MemoryBlock Rent(long bytes, object owner)
    {
        if (bytes > capacity)
            throw new DeviceOutOfMemoryException(device.Id, bytes, AllocatedBytes, ReservedBytes, Limit, null, $"more than the {capacity:N0} bytes the device has");
        long size = RoundSize(bytes);
        bool collect;
        lock (gate)
        {
            if (disposed)
                device.ThrowIfDisposed();
            SweepIfCollectedLocked();
            if (TryTakeCachedLocked(size, owner) is { } hit)
                return hit;
            collect = allocated + size > liveAfterCollection + EffectiveBudgetLocked()
                || lent.Count >= lentAfterCollection + PendingTensorLimit;
        }

        // A miss with more than the budget of possibly dead tensors: the young ones a loop dropped are found by
        // an ephemeral collection, far cheaper than reserving more device memory.
        if (collect && CollectAndRetake(size, owner, full: false) is { } found)
            return found;

        // Everything below may free or allocate device memory: make the device current on this thread.
        device.BindToThisThread();
        Exception? failure = null;
        for (int stage = 0; stage < 3; stage++)
        {
            // Out of room: first what an ephemeral collection finds, then a full one.
            if (stage > 0 && CollectAndRetake(size, owner, full: stage == 2) is { } hit)
                return hit;
            lock (gate)
            {
                if (disposed)
                device.ThrowIfDisposed();
                if (TryReserveLocked(size, owner, ref failure) is { } block)
                    return block;
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

    /// <summary>Takes a block back at once (deterministic release); any thread.</summary>
    internal void Return(MemoryBlock block)
    {
        lock (gate)
        {
            if (disposed || block.Slot < 0)
                return;
            RemoveLentLocked(block);
            CacheLocked(block);
        }
    }

    internal void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            foreach (var block in lent)
                block.Release();
            foreach (var stack in cached.Values)
            {
                foreach (var block in stack)
                    block.Release();
            }
            foreach (var segment in segments)
                segment.Buffer.Dispose();
            lent.Clear();
            cached.Clear();
            segments.Clear();
            carving = null;
            allocated = 0;
            reserved = 0;
        }
    }

}
