using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace AutoDiff.Gpu;

/// <summary>
/// A handle to one accelerator, with its own caching allocator and memory statistics. Every tensor lives on one
/// device. Handles opened on the same accelerator share its compiled kernels and interoperate: their tensors
/// mix in one operation (the result lives on the first operand's device). Operations launch asynchronously and
/// in order; reading a tensor back to the host waits for them.
/// <para>
/// Thread safety: a device may be used from any number of threads. Launches and copies on one accelerator are
/// serialized by a lock held only while work is enqueued (some backends, OpenCL among them, cannot enqueue from
/// two threads at once). <see cref="Dispose"/> waits for work in flight; afterwards every use of the device or
/// its tensors throws <see cref="ObjectDisposedException"/> on the caller.
/// </para>
/// </summary>
public sealed partial class Device : IDisposable
{
    /// <summary>
    /// The environment variable that overrides <see cref="Best"/>: an identifier as <see cref="ParseId"/> takes it
    /// (<c>cpu</c>, <c>cuda</c>, <c>opencl</c>, optionally with <c>:index</c>).
    /// </summary>
    public const string EnvironmentVariable = "AUTODIFF_DEVICE";

    [ThreadStatic]
    private static Accelerator? boundOnThisThread;

    private readonly SharedAccelerator shared;
    private int disposed;

    private Device(SharedAccelerator shared)
    {
        this.shared = shared;
        Kind = shared.Kind;
        // The threshold pays for the chunked CPU loops' per-launch work; the GPU layout fuses at every size.
        fusionMinElements = Chunked ? CpuFusionMinElements : 0;
        Index = shared.Index;
        Id = FormatId(Kind, Index);
        Memory = new DeviceMemory(this, Kind == DeviceKind.Cpu ? HostMemory : Accelerator.MemorySize);
    }

    /// <summary>The accelerator kind.</summary>
    public DeviceKind Kind { get; }

    /// <summary>Index among the devices of this kind.</summary>
    public int Index { get; }

    /// <summary><c>cuda:0</c>, <c>opencl:0</c> or <c>cpu:0</c>.</summary>
    public string Id { get; }

    /// <summary>The accelerator's name, as <see cref="List"/> shows it.</summary>
    public string Name => Kind != DeviceKind.Cpu
        ? Accelerator.Name
        : CpuName(Accelerator.MaxNumThreadsPerGroup) + (Chunked ? "" : ", GPU layout");

    /// <summary>Whether the kernels run the CPU's chunked layout (not the GPU layout).</summary>
    private bool Chunked => shared.Kernels.Style == KernelStyle.Chunked;

    /// <summary>Device memory in bytes; for the CPU accelerator, the memory available to this process.</summary>
    public long MemorySize => Kind == DeviceKind.Cpu ? HostMemory : Accelerator.MemorySize;

    /// <summary>The caching allocator and its statistics.</summary>
    public DeviceMemory Memory { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref disposed) != 0;

    internal Accelerator Accelerator => shared.Accelerator;

    internal KernelLibrary Kernels => shared.Kernels;


    /// <summary>Lists the devices present, best first.</summary>
    public static IReadOnlyList<DeviceInfo> List()
    {
        using var context = CreateContext(null);
        var list = new List<DeviceInfo>();
        foreach (var kind in new[] { DeviceKind.Cuda, DeviceKind.OpenCL, DeviceKind.Cpu })
        {
            var devices = DevicesOf(context, kind);
            for (int i = 0; i < devices.Count; i++)
            {
                long memory = kind == DeviceKind.Cpu ? HostMemory : devices[i].MemorySize;
                list.Add(new DeviceInfo(kind, i, kind == DeviceKind.Cpu ? CpuName(devices[i].MaxNumThreadsPerGroup) : devices[i].Name, memory));
            }
        }
        return list;
    }

    /// <summary>
    /// Opens the best device present (CUDA, then OpenCL, then the CPU accelerator), or the one named by the
    /// <see cref="EnvironmentVariable"/> environment variable when it is set.
    /// </summary>
    /// <exception cref="ArgumentException">The environment variable names no known device kind (the message names it).</exception>
    /// <exception cref="DeviceNotFoundException">The device the environment variable names is absent (the message names it).</exception>
    public static Device Best()
    {
        string? spec = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(spec))
            return OpenBest();
        string asked = $"{EnvironmentVariable}={spec}";
        if (!TryParseId(spec, out var kind, out int index, out string? error))
            throw new ArgumentException($"{asked}: {error}", (Exception?)null);
        return OpenAsked(asked, kind, index);
    }

    /// <summary>Opens the CPU accelerator, one thread per core.</summary>
    public static Device Cpu() => Open(DeviceKind.Cpu, 0);

    /// <summary>
    /// Opens the CPU accelerator with the GPU layout's kernels (<see cref="KernelStyle.Packed"/>: grid-stride loops
    /// over packs, fusion at every size), so that tests run the GPU paths on any machine. Its own accelerator.
    /// </summary>
    internal static Device CpuWithGpuLayout() =>
        new(SharedAccelerator.Acquire(DeviceKind.Cpu, 0, KernelStyle.Packed));

    /// <summary>Opens CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => Open(DeviceKind.Cuda, index);

    /// <summary>Opens OpenCL device <paramref name="index"/>.</summary>
    public static Device OpenCL(int index = 0) => Open(DeviceKind.OpenCL, index);

    /// <summary>
    /// Opens a device by identifier, as <see cref="ParseId"/> reads it: <c>cpu</c>, <c>cuda</c>, <c>opencl</c>,
    /// optionally with <c>:index</c>; <c>best</c> picks as <see cref="Best"/> without its environment variable.
    /// </summary>
    /// <exception cref="ArgumentException">The identifier names no device kind, or its index is not a number ≥ 0.</exception>
    /// <exception cref="DeviceNotFoundException">The device is absent: the message names the identifier and what is present.</exception>
    public static Device Open(string spec)
    {
        var (kind, index) = ParseId(spec);
        // An alias or a missing index: the error says what was asked beside the identifier it meant.
        bool restated = kind is not null && !spec.Trim().Equals(FormatId(kind.Value, index), StringComparison.OrdinalIgnoreCase);
        return OpenAsked(restated ? $"'{spec}'" : null, kind, index);
    }

    /// <summary>
    /// Opens device <paramref name="index"/> of <paramref name="kind"/>; a clear error lists what is present when
    /// it is absent. Each call gives a new handle with its own memory pool; handles on one accelerator share its
    /// kernels and their tensors interoperate.
    /// </summary>
    public static Device Open(DeviceKind kind, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new Device(SharedAccelerator.Acquire(kind, index));
    }

    /// <summary>
    /// Drops the compiler's intermediate form of every kernel compiled so far (tens of MB each); loaded kernels stay.
    /// Later kernels compile their shared parts again.
    /// </summary>
    internal void ClearCompilerCache()
    {
        using (shared.Gate.EnterScope())
            shared.ClearCompilerCache();
    }

    /// <summary>Waits until every launched operation has finished.</summary>
    public void Synchronize() => Launch.Synchronize(this);

    /// <summary>
    /// Frees every buffer of this device, after the work in flight has finished, and releases the accelerator
    /// when no other handle uses it. Tensors of this device become unusable (<see cref="Tensor.IsDisposed"/>).
    /// </summary>
    public void Dispose()
    {
        using (shared.Gate.EnterScope())
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0)
                return;
            Bind(Accelerator);
            Accelerator.Synchronize();
            Memory.Dispose();
        }
        shared.Release();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Name})";

    private static Device OpenBest()
    {
        var best = List()[0];
        return Open(best.Kind, best.Index);
    }

    /// <summary>Opens a parsed identifier; an absent device's error starts with what was <paramref name="asked"/>, if given.</summary>
    private static Device OpenAsked(string? asked, DeviceKind? kind, int index)
    {
        if (kind is null)
            return OpenBest();
        if (asked is null)
            return Open(kind.Value, index);
        try
        {
            return Open(kind.Value, index);
        }
        catch (DeviceNotFoundException e)
        {
            throw new DeviceNotFoundException($"{asked}: {e.Message}", e);
        }
    }

    private static long HostMemory => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static string CpuName(int threads) => $"CPU accelerator, {threads} threads";

    /// <summary>True when tensors of this device and <paramref name="other"/> can meet in one operation: both are handles to one accelerator.</summary>
    internal bool SharesAcceleratorWith(Device other) => ReferenceEquals(shared, other.shared);

    /// <summary>Makes this device's accelerator current on the calling thread (CUDA contexts are per thread).</summary>
    internal void BindToThisThread()
    {
        ThrowIfDisposed();
        Bind(Accelerator);
    }

    /// <summary>
    /// Enters the accelerator's launch lock for one launch or copy: throws <see cref="ObjectDisposedException"/>
    /// once the device is disposed, and binds the accelerator to this thread. Dispose the scope right after
    /// the work is enqueued.
    /// </summary>
    internal Lock.Scope EnterLaunch()
    {
        var scope = shared.Gate.EnterScope();
        if (IsDisposed)
        {
            scope.Dispose();
            ThrowIfDisposed();
        }
        Bind(Accelerator);
        return scope;
    }

    internal void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw new ObjectDisposedException(nameof(Device), $"device {Id} was disposed: its tensors are gone; open a new device");
    }

    private static void Bind(Accelerator accelerator)
    {
        if (!ReferenceEquals(boundOnThisThread, accelerator))
        {
            accelerator.Bind();
            boundOnThisThread = accelerator;
        }
    }

    /// <summary>
    /// Cores the CPU accelerator may use: all of them, or a rank's share where several ranks run on one node
    /// (set before the accelerator is opened; see <see cref="Distributed.Collectives.Start(Device?)"/>).
    /// </summary>
    internal static int CpuCores
    {
        get => Volatile.Read(ref cpuCores);
        set => Volatile.Write(ref cpuCores, Math.Max(1, value));
    }

    private static int cpuCores = Environment.ProcessorCount;

    private static Context CreateContext(DeviceKind? only)
    {
        // The CPU accelerator gets one OS thread per core in a single group: elementwise kernels give each
        // thread one contiguous chunk (see LaunchPlan). ILGPU's default simulates 16 threads with barriers;
        // it refuses groups of fewer than two threads.
        int threads = Math.Max(2, CpuCores);
        var cpu = new CPUDevice(threads, 1, 1);
        return Context.Create(builder =>
        {
            if (only is null or DeviceKind.Cuda)
                builder.Cuda();
            if (only is null or DeviceKind.OpenCL)
                builder.OpenCL();
            if (only is null or DeviceKind.Cpu)
                builder.CPU(cpu);
            builder.EnableAlgorithms().Optimize(OptimizationLevel.O2);
        });
    }

    private static List<ILGPU.Runtime.Device> DevicesOf(Context context, DeviceKind kind)
    {
        var type = kind switch
        {
            DeviceKind.Cuda => AcceleratorType.Cuda,
            DeviceKind.OpenCL => AcceleratorType.OpenCL,
            DeviceKind.Cpu => AcceleratorType.CPU,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown device kind"),
        };
        var list = new List<ILGPU.Runtime.Device>();
        foreach (var device in context.Devices)
        {
            if (device.AcceleratorType == type)
                list.Add(device);
        }
        return list;
    }

    /// <summary>
    /// One accelerator, its context, its compiled kernels and its launch lock, shared by every open handle on
    /// it and released with the last.
    /// </summary>
    private sealed class SharedAccelerator
    {
        private static readonly Dictionary<(DeviceKind, int, KernelStyle), SharedAccelerator> Open = [];
        private static readonly Lock RegistryGate = new();

        private readonly Context context;
        private int handles;

        private SharedAccelerator(
            Context context, Accelerator accelerator, DeviceKind kind, int index, KernelStyle style)
        {
            this.context = context;
            Accelerator = accelerator;
            Kind = kind;
            Index = index;
            Style = style;
            Kernels = new KernelLibrary(accelerator, style);
        }

        public Accelerator Accelerator { get; }

        public KernelLibrary Kernels { get; }

        public DeviceKind Kind { get; }

        public int Index { get; }

        /// <summary>The layout asked for (its key in the registry); <see cref="KernelLibrary.Style"/> is the one resolved.</summary>
        public KernelStyle Style { get; }

        /// <summary>Serializes launches and copies on this accelerator.</summary>
        public Lock Gate { get; } = new();

        public static SharedAccelerator Acquire(DeviceKind kind, int index, KernelStyle style = KernelStyle.Auto)
        {
            lock (RegistryGate)
            {
                if (!Open.TryGetValue((kind, index, style), out var shared))
                {
                    shared = Create(kind, index, style);
                    Open.Add((kind, index, style), shared);
                }
                shared.handles++;
                return shared;
            }
        }

        public void ClearCompilerCache() => context.ClearCache(ClearCacheMode.Everything);

        public void Release()
        {
            lock (RegistryGate)
            {
                if (--handles > 0)
                    return;
                Open.Remove((Kind, Index, Style));
            }
            using (Gate.EnterScope())
            {
                if (ReferenceEquals(boundOnThisThread, Accelerator))
                    boundOnThisThread = null;
                Accelerator.Dispose();
                context.Dispose();
            }
        }

        private static SharedAccelerator Create(DeviceKind kind, int index, KernelStyle style)
        {
            var context = CreateContext(kind);
            try
            {
                var devices = DevicesOf(context, kind);
                if (index >= devices.Count)
                {
                    string present = string.Join(", ", List().Select(d => d.ToString()));
                    throw new DeviceNotFoundException($"no {FormatId(kind, index)} device is present; present: {present}");
                }
                return new SharedAccelerator(context, devices[index].CreateAccelerator(context), kind, index, style);
            }
            catch
            {
                context.Dispose();
                throw;
            }
        }
    }
}
