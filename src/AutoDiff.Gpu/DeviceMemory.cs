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

/// <summary>A snapshot of a device's memory statistics.</summary>
/// <param name="AllocatedBytes">Bytes held by tensors not yet known to be unreachable (in pool size classes).</param>
/// <param name="PeakAllocatedBytes">Highest <paramref name="AllocatedBytes"/> since the device was opened or <see cref="DeviceMemory.ResetPeak"/>.</param>
/// <param name="ReservedBytes">Bytes reserved from the device: allocated plus cached.</param>
/// <param name="DeviceAllocations">Allocations that reached the device (cache misses).</param>
/// <param name="CachedAllocations">Allocations served from the cache.</param>
/// <param name="EphemeralCollections">Generation-1 garbage collections the pool started to find unreachable tensors.</param>
/// <param name="FullCollections">Full (generation-2) garbage collections the pool started: only when ephemeral ones could not find enough, or before failing an allocation.</param>
/// <param name="ReclaimedTensors">Tensors whose blocks the pool took back after the GC found them unreachable (not counting disposed ones).</param>
public readonly record struct MemoryStatistics(
    long AllocatedBytes,
    long PeakAllocatedBytes,
    long ReservedBytes,
    long DeviceAllocations,
    long CachedAllocations,
    long EphemeralCollections,
    long FullCollections,
    long ReclaimedTensors)
{
    /// <summary>Reserved bytes not held by any tensor.</summary>
    public long CachedBytes => ReservedBytes - AllocatedBytes;

    /// <summary>All collections the pool started.</summary>
    public long Collections => EphemeralCollections + FullCollections;
}

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
public sealed class DeviceMemory
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

    private long EffectiveBudgetLocked()
    {
        long room = (limit ?? capacity) - liveAfterCollection;
        return Math.Min(budget, Math.Max(0, room / 2));
    }

    /// <summary>
    /// Runs a collection and takes back what it found. After an ephemeral one, escalates to a full one when the
    /// live bytes grew past both the budget and what the last full collection left (tensors that died old).
    /// </summary>
    private MemoryBlock? CollectAndRetake(long size, object owner, bool full)
    {
        int generation = full ? GC.MaxGeneration : 1;
        GC.Collect(generation, GCCollectionMode.Forced, blocking: true);
        bool escalate;
        lock (gate)
        {
            if (full)
                fullCollections++;
            else
                ephemeralCollections++;
            long before = allocated;
            SweepLocked();
            if (full && adaptiveBudget && before - allocated > budget / 2)
            {
                // Tensors died old: collections came too often for what the program drops between them.
                long ceiling = Math.Max(budget, ((limit ?? capacity) - allocated) / 2);
                budget = Math.Min(2 * budget, ceiling);
            }
            // Tensors that died after reaching the oldest generation only a full collection finds: once the
            // live bytes after ephemeral ones grew past both the budget and what the last full one left, run one.
            escalate = !full && allocated - liveAfterFullCollection > Math.Max(budget, liveAfterFullCollection);
            if (!escalate && TryTakeCachedLocked(size, owner) is { } hit)
                return hit;
        }
        return escalate ? CollectAndRetake(size, owner, full: true) : null;
    }

    /// <summary>Sweeps when a garbage collection (any, started by anyone) ran since the last sweep.</summary>
    private void SweepIfCollectedLocked()
    {
        if (GC.CollectionCount(0) != sweptAtCollection)
            SweepLocked();
    }

    /// <summary>
    /// Takes back the blocks whose tensors the GC found unreachable, and notes what is live now: after any
    /// collection, and after a full one (whoever started it).
    /// </summary>
    private void SweepLocked()
    {
        sweptAtCollection = GC.CollectionCount(0);
        int fullCount = GC.CollectionCount(GC.MaxGeneration);
        dead.Clear();
        for (int i = lent.Count - 1; i >= 0; i--)
        {
            var block = lent[i];
            if (block.OwnerAlive)
                continue;
            RemoveLentLocked(block);
            dead.Add(block);
        }
        // Cache them oldest first, so that the next requests reuse the blocks touched last, the likeliest to be
        // still in the processor's caches (what a loop that disposes gets for free).
        dead.Sort(static (a, b) => a.LentAt.CompareTo(b.LentAt));
        foreach (var block in dead)
            CacheLocked(block);
        reclaimed += dead.Count;
        dead.Clear();
        liveAfterCollection = allocated;
        lentAfterCollection = lent.Count;
        if (fullCount != sweptAtFullCollection)
        {
            sweptAtFullCollection = fullCount;
            liveAfterFullCollection = allocated;
        }
    }

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
                var buffer = AllocateFromDevice(want);
                var segment = new Segment(buffer);
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
    /// A device allocation of <paramref name="bytes"/>. On the CPU accelerator it is host memory: refused (as an
    /// <see cref="InsufficientMemoryException"/> naming the host's numbers) when the host cannot back it, and backed at
    /// once, so that running out is an exception here and not the system killing the process at a first write.
    /// </summary>
    private MemoryBuffer1D<byte, Stride1D.Dense> AllocateFromDevice(long bytes)
    {
        MemoryBuffer1D<byte, Stride1D.Dense> buffer;
        if (device.Kind != DeviceKind.Cpu)
        {
            buffer = device.Accelerator.Allocate1D<byte>(bytes);
        }
        else
        {
            lock (HostMemory.Gate)
            {
                host.Take(bytes);
                buffer = device.Accelerator.Allocate1D<byte>(bytes);
                if (!HostMemory.Touch(buffer.NativePtr, bytes))
                {
                    buffer.Dispose();
                    throw new InsufficientMemoryException($"host memory: the system could not back {bytes:N0} bytes");
                }
            }
        }
        // The pool roots every segment and frees it itself: never let a finalizer free device memory.
#pragma warning disable CA1816 // suppressing another object's finalizer is the point here
        GC.SuppressFinalize(buffer);
#pragma warning restore CA1816
        return buffer;
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

/// <summary>Allocated device bytes over time, sampled at every allocation and release while it is open.</summary>
public sealed class MemoryRecording : IDisposable
{
    private readonly DeviceMemory owner;
    private readonly long start;
    private readonly Lock samplesGate = new();
    private readonly List<(double Microseconds, long Bytes)> samples = [];
    private long last;

    internal MemoryRecording(DeviceMemory owner, long allocatedNow)
    {
        this.owner = owner;
        last = allocatedNow;
        start = System.Diagnostics.Stopwatch.GetTimestamp();
        samples.Add((0, allocatedNow));
    }

    /// <summary>
    /// A copy of the samples so far: microseconds since the start and allocated bytes just after each change.
    /// Safe to read while other threads allocate.
    /// </summary>
    public IReadOnlyList<(double Microseconds, long Bytes)> Samples
    {
        get
        {
            lock (samplesGate)
                return samples.ToArray();
        }
    }

    /// <summary>Stops recording with a last sample at the stop time; the samples stay readable.</summary>
    public void Dispose()
    {
        if (owner.StopRecording(this))
            Add(Volatile.Read(ref last));
    }

    internal void Add(long bytes)
    {
        lock (samplesGate)
        {
            last = bytes;
            samples.Add((System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds, bytes));
        }
    }
}
