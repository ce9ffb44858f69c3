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
/// One launch shared by the calling thread and thread-pool workers: each claims the next of a few chunks per
/// thread until none is left, and the caller waits only for chunks already claimed, so a worker that wakes
/// late (or not at all, when the pool is busy) costs nothing but finds no work. Instances are reused: an
/// instance goes back to a small free list when the caller and every queued worker have let go of it.
/// </summary>
internal sealed class SharedLaunch<TBody> : IThreadPoolWorkItem
    where TBody : struct, ICpuBody
{
    private static readonly SharedLaunch<TBody>?[] Free = new SharedLaunch<TBody>?[4];

    private readonly object gate = new(); // Monitor.Wait and Pulse need an object, not a Lock
    private TBody body;
    private long items, chunk, chunks;
    private long next;
    private long unfinished;
    private int holders;
    private ExceptionDispatchInfo? failure;

    /// <summary>Runs items [0, <paramref name="items"/>) of <paramref name="body"/> on the calling thread and up to <paramref name="threads"/> − 1 workers.</summary>
    public static void Run(in TBody body, long items, int threads)
    {
        var launch = Rent();
        long chunks = Math.Min(items, (long)threads * CpuLaunch.ChunksPerThread);
        long chunk = (items + chunks - 1) / chunks;
        launch.body = body;
        launch.items = items;
        launch.chunk = chunk;
        launch.chunks = (items + chunk - 1) / chunk;
        launch.next = 0;
        launch.unfinished = launch.chunks;
        int helpers = (int)Math.Min(threads - 1, launch.chunks - 1);
        launch.holders = helpers + 1;
        // Queueing is a full fence: workers see the fields written above.
        for (int i = 0; i < helpers; i++)
            ThreadPool.UnsafeQueueUserWorkItem(launch, preferLocal: false);
        launch.Work();
        launch.WaitForClaimedChunks();
        var failure = launch.failure;
        launch.Release();
        // A body that failed on a worker fails here, on the launching thread, after every claimed chunk ended.
        failure?.Throw();
    }

    /// <summary>A worker's share.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        Work();
        Release();
    }

    private void Work()
    {
        while (true)
        {
            long c = Interlocked.Increment(ref next) - 1;
            if (c >= chunks)
                return;
            long start = c * chunk;
            try
            {
                body.Run(start, Math.Min(chunk, items - start));
            }
#pragma warning disable CA1031 // Kept, and rethrown by the launching thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            }
            if (Interlocked.Decrement(ref unfinished) == 0)
            {
                lock (gate)
                    Monitor.Pulse(gate);
            }
        }
    }

    /// <summary>Spins briefly, then sleeps until the chunks that workers claimed are done.</summary>
    private void WaitForClaimedChunks()
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref unfinished) != 0 && !spin.NextSpinWillYield)
            spin.SpinOnce();
        if (Volatile.Read(ref unfinished) == 0)
            return;
        lock (gate)
        {
            while (Volatile.Read(ref unfinished) != 0)
                Monitor.Wait(gate);
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

    private void Release()
    {
        if (Interlocked.Decrement(ref holders) != 0)
            return;
        body = default;
        failure = null;
        for (int i = 0; i < Free.Length; i++)
        {
            if (Interlocked.CompareExchange(ref Free[i], this, null) is null)
                return;
        }
    }
}
