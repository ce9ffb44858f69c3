using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The kernels of one accelerator, compiled on first use and kept for the accelerator's lifetime (ILGPU's own
/// cache holds kernels weakly). One launcher per kernel family — elementwise (contiguous, broadcast, strided),
/// reduction, indexing, matrix product, fill — chooses the layout for the accelerator
/// (<see cref="KernelStyle"/>) and the fast path for the operands. Launches are asynchronous on the
/// accelerator's default stream; on the CPU accelerator (<see cref="KernelStyle.Chunked"/>) they run on the
/// calling thread, large ones with thread-pool workers, and are done when the launcher returns, as ILGPU's CPU
/// launches are. Thread-safe.
/// </summary>
/// <remarks>
/// Kernels are cached by the kernel method's delegate (a static method group, which C# caches per generic
/// instantiation), so a launcher names its kernel once and needs no key type. Packed launches pick their pack
/// type in one place (<see cref="RunPacked{T, TLaunch}(TLaunch, bool, long)"/>).
/// </remarks>
public sealed unsafe partial class KernelLibrary
{
    private const int PackBytes = 16;

    private readonly Accelerator accelerator;
    private readonly KernelStyle style;
    private readonly IKernelBackend backend;
    private readonly Action? beforeLaunch;
    private readonly Lock gate = new();
    private Dictionary<Delegate, Delegate> kernels = [];
    private long packedLaunches;

    /// <summary>
    /// Creates the (empty) kernel library of <paramref name="accelerator"/>; <paramref name="style"/> overrides
    /// the layout (tests run the GPU layout on the CPU accelerator); <paramref name="beforeLaunch"/> runs at the
    /// start of every launcher (an engine binds its device and drains its release queue there).
    /// </summary>
    public KernelLibrary(Accelerator accelerator, KernelStyle style = KernelStyle.Auto, Action? beforeLaunch = null)
    {
        this.style = LaunchPlan.Resolve(accelerator, style);
        this.accelerator = accelerator;
        this.beforeLaunch = beforeLaunch;
        backend = this.style == KernelStyle.Chunked ? new ChunkedBackend(this) : new PackedBackend(this);
        accelerator.Disposed += (_, _) => ReleaseResources();
    }

    /// <summary>The layout in use.</summary>
    public KernelStyle Style => style;

    /// <summary>Im2col and col2im have launches of their own (the CPU accelerator); GPUs gather by offsets instead.</summary>
    public bool HasWindowKernels => backend.HasWindowKernels;

    /// <summary>Number of kernels compiled so far.</summary>
    public int CompiledCount { get; private set; }

    /// <summary>Number of launches so far (each launcher call counts once).</summary>
    public long Launches => Volatile.Read(ref launches);

    private long launches;

    /// <summary>Runs the launch hook and counts the launch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enter()
    {
        Interlocked.Increment(ref launches);
        beforeLaunch?.Invoke();
    }

    /// <summary>A packed launch: <see cref="Run{TElem, TPack}"/> is called with the pack type the operands allow.</summary>
    private interface IPackedLaunch
    {
        /// <summary>Launches with views cast to <typeparamref name="TElem"/> and packs of <typeparamref name="TPack"/>.</summary>
        void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>;
    }

    /// <summary>
    /// Runs <paramref name="launch"/> with 16-byte packs when the views are <paramref name="aligned"/> and rows of
    /// <paramref name="rowLength"/> elements fill whole packs (0: the kernel takes any length, its tail element by
    /// element), else with one element per pack.
    /// </summary>
    private void RunPacked<T, TLaunch>(TLaunch launch, bool aligned, long rowLength = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLaunch : struct, IPackedLaunch
    {
        bool packable = aligned && rowLength % (PackBytes / Unsafe.SizeOf<T>()) == 0;
        if (packable && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
            Interlocked.Increment(ref packedLaunches);
        if (packable && typeof(T) == typeof(float))
            launch.Run<float, Float4>(this);
        else if (packable && typeof(T) == typeof(double))
            launch.Run<double, Double2>(this);
        else
            launch.Run<T, Single<T>>(this);
    }

    /// <summary>Launches that took 16-byte packs (GPU layout), for tests that check the path taken.</summary>
    internal long PackedLaunches => Interlocked.Read(ref packedLaunches);

    /// <summary>
    /// Waves of resident groups that grid-stride launches and the row reductions size their grids for on GPUs
    /// (<see cref="LaunchPlan.GpuWaves"/> unless set; benchmarks compare others). At least 1.
    /// </summary>
    public int Waves
    {
        get => waves;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            waves = value;
        }
    }

    private readonly int waves = LaunchPlan.GpuWaves;

    /// <summary>The grid-stride configuration for <paramref name="n"/> work items (n ≥ 1).</summary>
    private KernelConfig GridStride(long n) => LaunchPlan.For(accelerator, Math.Max(1, n), KernelStyle.Packed, waves).Config;

    /// <summary>
    /// How chunked launches run (tests compare the two): on the calling thread, with thread-pool workers for
    /// large launches (<see cref="CpuLaunchMode.Direct"/>, the default), or through ILGPU's launch.
    /// </summary>
    internal CpuLaunchMode CpuLaunch { get; set; }

    /// <summary>
    /// Runs items [0, <paramref name="items"/>) of a chunked <paramref name="body"/> on up to
    /// <paramref name="threads"/> threads (<see cref="ChunkedThreads"/>) and returns when they are done, as ILGPU's
    /// CPU launches do: later launches see the results. A shared launch splits into up to
    /// <paramref name="chunksPerThread"/> chunks per thread.
    /// </summary>
    private void RunChunked<TBody>(
        in TBody body, long items, int threads, int chunksPerThread = Kernels.CpuLaunch.ChunksPerThread)
        where TBody : struct, ICpuBody
    {
        if (items == 0)
            return;
        if (CpuLaunch == CpuLaunchMode.Direct)
        {
            // On the calling thread; large launches shared with thread-pool workers.
            if (threads <= 1 || items <= 1)
                body.Run(0, items);
            else
                SharedLaunch<TBody>.Run(body, items, threads, chunksPerThread);
            return;
        }
        long chunk = Ceiling(items, threads);
        Kernel<TBody, long, long>(ChunkedKernel.Run)(new KernelConfig(1, (int)Ceiling(items, chunk)), body, items, chunk);
    }

    /// <summary>Threads of a chunked launch of <paramref name="items"/> work items that together touch <paramref name="elements"/> elements.</summary>
    private int ChunkedThreads(long items, long elements) =>
        (int)Math.Max(1, Math.Min(items, LaunchPlan.ChunkedThreads(accelerator, elements)));

    /// <summary>The address of a view's first element for a chunked body (checked: see <see cref="Kernels.CpuLaunch.Pointer{T}"/>).</summary>
    private static T* Pointer<T>(ArrayView<T> view)
        where T : unmanaged =>
        Kernels.CpuLaunch.Pointer(view);

    /// <summary>True when every view starts on a 16-byte boundary, as pool blocks do.</summary>
    private static bool Aligned<T>(ArrayView<T> a, ArrayView<T> b = default, ArrayView<T> c = default)
        where T : unmanaged =>
        ((Address(a) | Address(b) | Address(c)) & (PackBytes - 1)) == 0;

    private static long Address<T>(ArrayView<T> view)
        where T : unmanaged =>
        view.IsValid && view.Length > 0 ? view.LoadEffectiveAddressAsPtr().ToInt64() : 0;

    /// <summary>Elements covered by whole packs; the rest (fewer than a pack) is the tail.</summary>
    private static long Split<T, TPack>(long length, out long packs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        packs = length / TPack.Lanes;
        return packs * TPack.Lanes;
    }

    /// <summary>The first <paramref name="body"/> elements as packs.</summary>
    private static ArrayView<TPack> Body<T, TPack>(ArrayView<T> view, long body)
        where T : unmanaged
        where TPack : unmanaged =>
        body == 0 ? ArrayView<TPack>.Empty : view.SubView(0, body).Cast<TPack>();

    /// <summary>The elements after the first <paramref name="body"/>.</summary>
    private static ArrayView<T> Tail<T>(ArrayView<T> view, long body)
        where T : unmanaged =>
        body == view.Length ? ArrayView<T>.Empty : view.SubView(body, view.Length - body);

    /// <summary>All of <paramref name="view"/> as packs (its length is a multiple of the lanes).</summary>
    private static ArrayView<TPack> Packs<T, TPack>(ArrayView<T> view)
        where T : unmanaged
        where TPack : unmanaged =>
        view.Cast<TPack>();

    private static void CheckLength<T>(ArrayView<T> view, long length, string name)
        where T : unmanaged
    {
        if (view.Length != length)
            throw new ArgumentException($"{name} has {view.Length} elements where {length} are needed", name);
    }

    // One loader per kernel arity: the kernel method's delegate is the cache key.

    private Action<KernelConfig, T1, T2, T3> Kernel<T1, T2, T3>(Action<T1, T2, T3> method)
        where T1 : struct where T2 : struct where T3 : struct =>
        (Action<KernelConfig, T1, T2, T3>)Cached(method, static (a, m) => a.LoadStreamKernel((Action<T1, T2, T3>)m));

    private Action<KernelConfig, T1, T2, T3, T4, T5> Kernel<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> method)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5>)Cached(method, static (a, m) => a.LoadStreamKernel((Action<T1, T2, T3, T4, T5>)m));

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6> Kernel<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> method)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6>)Cached(method, static (a, m) => a.LoadStreamKernel((Action<T1, T2, T3, T4, T5, T6>)m));

    /// <summary>A kernel compiled for groups of <paramref name="threads"/> threads, <paramref name="groups"/> of them resident per multiprocessor (see <see cref="IMatMulTile.GroupsPerMultiprocessor"/>).</summary>
    private Action<KernelConfig, T1, T2, T3, T4, T5, T6> Kernel<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> method, int threads, int groups)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6>)Cached(method, new KernelSpecialization(threads, groups), static (a, m, bounds) => a.LoadStreamKernel((Action<T1, T2, T3, T4, T5, T6>)m, bounds));

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> Kernel<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> method)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7>)Cached(method, static (a, m) => a.LoadStreamKernel((Action<T1, T2, T3, T4, T5, T6, T7>)m));

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> Kernel<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> method)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>)Cached(method, static (a, m) => a.LoadStreamKernel((Action<T1, T2, T3, T4, T5, T6, T7, T8>)m));

    private Delegate Cached(Delegate method, Func<Accelerator, Delegate, Delegate> load) =>
        Cached(method, load, static (a, m, plain) => plain(a, m));

    /// <summary>The kernel of <paramref name="method"/>, loaded once by <paramref name="load"/> with <paramref name="state"/> (no closure per call).</summary>
    private Delegate Cached<TState>(Delegate method, TState state, Func<Accelerator, Delegate, TState, Delegate> load)
    {
        // Readers see an immutable snapshot; a new kernel publishes a copy with one more entry.
        if (Volatile.Read(ref kernels).TryGetValue(method, out var cached))
            return cached;
        lock (gate)
        {
            if (kernels.TryGetValue(method, out var again))
                return again;
            var loaded = load(accelerator, method, state);
            Volatile.Write(ref kernels, new Dictionary<Delegate, Delegate>(kernels) { [method] = loaded });
            CompiledCount++;
            return loaded;
        }
    }
}
