using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using ILGPU;
using ILGPU.Frontend;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>How chunked launches run on the CPU accelerator (<see cref="KernelStyle.Chunked"/>).</summary>
internal enum CpuLaunchMode
{
    /// <summary>
    /// On the calling thread; a launch large enough for several threads shares its chunks with thread-pool
    /// workers. ILGPU's launch wakes its worker threads and waits on a barrier for them (20–60 µs on a 2-core
    /// machine), which costs more than most small kernels.
    /// </summary>
    Direct,

    /// <summary>Through ILGPU's launch of <see cref="ChunkedKernel.Run{TBody}"/>: the reference the direct path is tested against.</summary>
    Ilgpu,
}

/// <summary>
/// The body of a chunked launch: work items [start, start + count) through raw pointers into the CPU
/// accelerator's buffers, taken on the launching thread (<see cref="CpuLaunch.Pointer{T}"/>). Plain data
/// (addresses, geometry, operator structs), so the same body runs on the calling thread, on thread-pool
/// workers, or as the chunk of an ILGPU thread. Items are independent: the result never depends on how
/// they are split.
/// </summary>
internal interface ICpuBody
{
    /// <summary>Runs work items [start, start + count).</summary>
    void Run(long start, long count);
}

/// <summary>
/// The address of <typeparamref name="T"/> elements in a chunked body: plain data, since ILGPU's kernel
/// parameters hold no pointers; converts to and from <c>T*</c>.
/// </summary>
/// <param name="pointer">The first element.</param>
internal readonly unsafe struct Address<T>(T* pointer)
    where T : unmanaged
{
    private readonly long value = (long)pointer;

    public static implicit operator T*(Address<T> address) => (T*)address.value;

    public static implicit operator Address<T>(T* pointer) => new(pointer);
}

/// <summary>
/// The one ILGPU kernel of the chunked layout: thread t of a one-group launch runs items
/// [t·chunk, (t+1)·chunk) of its body. ILGPU sees the body as an opaque external call
/// (<see cref="ExternalAttribute"/>); the CPU accelerator runs kernels as .NET code, so the call is a plain call.
/// </summary>
internal static class ChunkedKernel
{
    /// <summary>The kernel: the chunk of <c>Grid.GlobalIndex.X</c> among <paramref name="items"/> items.</summary>
    public static void Run<TBody>(TBody body, long items, long chunk)
        where TBody : struct, ICpuBody
    {
        long start = Grid.GlobalIndex.X * chunk;
        if (start < items)
            Invoke(body, start, chunk < items - start ? chunk : items - start);
    }

    /// <summary>Runs the body's items [start, start + count).</summary>
    [External("AutoDiffCpuBody")]
    public static void Invoke<TBody>(TBody body, long start, long count)
        where TBody : struct, ICpuBody =>
        body.Run(start, count);
}

/// <summary>Runs chunked bodies without ILGPU's launch: on the calling thread, large ones shared with thread-pool workers.</summary>
internal static unsafe class CpuLaunch
{
    /// <summary>Chunks per thread of a shared launch: the calling thread takes the chunks of a worker that wakes late.</summary>
    public const int ChunksPerThread = 4;

    /// <summary>
    /// Chunks per thread of a launch of few long items (a reduction's segments, a convolution's images): a thread
    /// that starts late, or is descheduled, holds up less of the launch.
    /// </summary>
    public const int FineChunksPerThread = 16;

    /// <summary>Runs items [0, <paramref name="items"/>) of <paramref name="body"/> on up to <paramref name="threads"/> threads; returns when all are done.</summary>
    public static void Run<TBody>(in TBody body, long items, int threads)
        where TBody : struct, ICpuBody
    {
        if (threads <= 1 || items <= 1)
            body.Run(0, items);
        else
            SharedLaunch<TBody>.Run(body, items, threads);
    }

    /// <summary>
    /// Bytes of a cache line, the widest vector: CPU buffers start on one (host allocations come 16 bytes past one,
    /// so that half the 256-bit loads and every 512-bit load would span two lines).
    /// </summary>
    public const int CacheLine = 64;

    /// <summary>Bytes from <paramref name="address"/> to the next cache line (0 when it starts one).</summary>
    public static long ToCacheLine(nint address) => -(long)address & (CacheLine - 1);

    /// <summary>
    /// The address of element 0 of <paramref name="view"/>, a view of a CPU accelerator buffer (null when it is
    /// empty). Throws when the buffer is disposed (its memory is freed) or lives on another accelerator, so no
    /// kernel reads freed memory.
    /// </summary>
    public static T* Pointer<T>(ArrayView<T> view)
        where T : unmanaged
    {
        if (view.Length == 0)
            return null;
        var buffer = BufferOf(view);
        if (buffer.IsDisposed)
            throw new ObjectDisposedException(nameof(MemoryBuffer), "a kernel operand's buffer was disposed");
        if (buffer.AcceleratorType != AcceleratorType.CPU)
            throw new ArgumentException($"a chunked (CPU) launch got a view of a {buffer.AcceleratorType} buffer", nameof(view));
        return (T*)view.LoadEffectiveAddressAsPtr();
    }

    /// <summary>The buffer behind a view (a constrained call: no boxing).</summary>
    private static MemoryBuffer BufferOf<TView>(TView view)
        where TView : struct, IArrayView =>
        view.Buffer;
}

/// <summary>
/// A launch that thread-pool workers help with: the calling thread and its helpers each claim the next of a few
/// chunks per thread until none is left, and the caller waits only for chunks already claimed, so a helper
/// that wakes late (or not at all, when the pool is busy) costs nothing but finds no work.
/// </summary>
/// <remarks>
/// Helpers are not tied to a launch. One launch at a time is open to help (<see cref="open"/>); a helper work
/// item joins whichever launch is open when it starts, and at most one helper per thread the launch wants is
/// ever queued, so helpers that wake late never pile up in the pool's queue and a launch allocates nothing.
/// A launch that finds another one open runs on its calling thread alone. A launch object goes back to its
/// type's free list when the caller and every helper that joined have let go of it.
/// </remarks>
internal abstract class SharedLaunch
{
    private static readonly Lock Gate = new();
    private static readonly Helper Helpers = new();
    private static SharedLaunch? open;
    private static int queued; // helper work items queued and not started yet

    /// <summary>How long the launching thread spins for helpers' chunks before it sleeps.</summary>
    private const long SpinMicroseconds = 250;

    private readonly object done = new(); // Monitor.Wait and Pulse need an object, not a Lock
    private long unfinished;
    private int holders;
    private ExceptionDispatchInfo? failure;

    /// <summary>Chunks in this launch.</summary>
    protected long Chunks { get; private set; }

    /// <summary>Runs chunks until none is left to claim; a failure is kept for the launching thread.</summary>
    protected abstract void Work();

    /// <summary>Puts this launch back on its type's free list (its last holder let go).</summary>
    protected abstract void Recycle();

    /// <summary>
    /// Runs the launch's <paramref name="chunks"/> chunks on the calling thread, helped by up to
    /// <paramref name="helpers"/> thread-pool workers; returns when all are done and rethrows the first failure.
    /// </summary>
    protected void Run(long chunks, int helpers)
    {
        Chunks = chunks;
        unfinished = chunks;
        holders = 1;
        int requests = 0;
        lock (Gate)
        {
            if (open is null)
            {
                open = this;
                requests = Math.Max(0, helpers - queued);
                queued += requests;
            }
        }
        for (int i = 0; i < requests; i++)
            ThreadPool.UnsafeQueueUserWorkItem(Helpers, preferLocal: false);
        Work();
        lock (Gate)
        {
            if (ReferenceEquals(open, this))
                open = null;
        }
        WaitForClaimedChunks();
        var failed = failure;
        failure = null;
        Release();
        // A chunk that failed on a helper fails here, on the launching thread, after every claimed chunk ended.
        failed?.Throw();
    }

    /// <summary>Marks one claimed chunk done, or failed with <paramref name="error"/>.</summary>
    protected void Finished(Exception? error)
    {
        if (error is not null)
            Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(error), null);
        if (Interlocked.Decrement(ref unfinished) == 0)
        {
            lock (done)
                Monitor.Pulse(done);
        }
    }

    /// <summary>
    /// Spins, yielding now and then, for up to <see cref="SpinMicroseconds"/>, then sleeps until the chunks that
    /// helpers claimed are done. A thread woken from sleep resumes 20–60 µs late; a helper's last chunk often
    /// ends within that time of the caller's.
    /// </summary>
    private void WaitForClaimedChunks()
    {
        var spin = default(SpinWait);
        long deadline = 0;
        while (Volatile.Read(ref unfinished) != 0)
        {
            if (spin.NextSpinWillYield)
            {
                long now = Stopwatch.GetTimestamp();
                if (deadline == 0)
                    deadline = now + (Stopwatch.Frequency * SpinMicroseconds / 1_000_000);
                else if (now > deadline)
                    break;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
        if (Volatile.Read(ref unfinished) == 0)
            return;
        lock (done)
        {
            while (Volatile.Read(ref unfinished) != 0)
                Monitor.Wait(done);
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref holders) == 0)
            Recycle();
    }

    /// <summary>The work item that joins the open launch, if any.</summary>
    private sealed class Helper : IThreadPoolWorkItem
    {
        public void Execute()
        {
            SharedLaunch? launch;
            lock (Gate)
            {
                queued--;
                launch = open;
                // Joined under the gate: the caller closes the launch under it before letting go.
                if (launch is not null)
                    Interlocked.Increment(ref launch.holders);
            }
            if (launch is null)
                return;
            launch.Work();
            launch.Release();
        }
    }
}

/// <summary>A shared launch of a <typeparamref name="TBody"/>.</summary>
internal sealed class SharedLaunch<TBody> : SharedLaunch
    where TBody : struct, ICpuBody
{
    private static readonly SharedLaunch<TBody>?[] Free = new SharedLaunch<TBody>?[4];

    private TBody body;
    private long items, chunk;
    private long next;

    /// <summary>
    /// Runs items [0, <paramref name="items"/>) of <paramref name="body"/> on the calling thread and up to
    /// <paramref name="threads"/> − 1 helpers, in up to <paramref name="chunksPerThread"/> chunks per thread.
    /// </summary>
    public static void Run(in TBody body, long items, int threads, int chunksPerThread = CpuLaunch.ChunksPerThread)
    {
        var launch = Rent();
        long chunks = Math.Min(items, (long)threads * chunksPerThread);
        long chunk = (items + chunks - 1) / chunks;
        chunks = (items + chunk - 1) / chunk;
        launch.body = body;
        launch.items = items;
        launch.chunk = chunk;
        launch.next = 0;
        launch.Run(chunks, (int)Math.Min(threads - 1, chunks - 1));
    }

    protected override void Work()
    {
        while (true)
        {
            long c = Interlocked.Increment(ref next) - 1;
            if (c >= Chunks)
                return;
            long start = c * chunk;
            Exception? error = null;
            try
            {
                body.Run(start, Math.Min(chunk, items - start));
            }
#pragma warning disable CA1031 // Kept, and rethrown by the launching thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
            }
            Finished(error);
        }
    }

    protected override void Recycle()
    {
        body = default;
        for (int i = 0; i < Free.Length; i++)
        {
            if (Interlocked.CompareExchange(ref Free[i], this, null) is null)
                return;
        }
    }

    private static SharedLaunch<TBody> Rent()
    {
        for (int i = 0; i < Free.Length; i++)
        {
            if (Interlocked.Exchange(ref Free[i], null) is { } launch)
                return launch;
        }
        return new SharedLaunch<TBody>();
    }
}
