using System.Globalization;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace AutoDiff.Gpu;

/// <summary>The kinds of accelerator, in the order <see cref="Device.Best"/> prefers them.</summary>
public enum DeviceKind
{
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,

    /// <summary>An OpenCL 2.0 device (with the generic address space ILGPU needs).</summary>
    OpenCL,

    /// <summary>ILGPU's CPU accelerator: kernels run as .NET code on the machine's cores.</summary>
    Cpu,
}

/// <summary>A device that is present.</summary>
/// <param name="Kind">The accelerator kind.</param>
/// <param name="Index">Index among the devices of that kind.</param>
/// <param name="Name">The device's own name.</param>
/// <param name="MemoryBytes">Its memory in bytes (for the CPU accelerator, the machine's).</param>
public sealed record DeviceInfo(DeviceKind Kind, int Index, string Name, long MemoryBytes)
{
    /// <summary>The identifier accepted by <see cref="Device.Open(string)"/>: <c>cuda:0</c>, <c>opencl:0</c>, <c>cpu:0</c>.</summary>
    public string Id => Device.FormatId(Kind, Index);

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Name}, {MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB)";
}

/// <summary>
/// One accelerator with its kernels and its caching allocator. Every tensor lives on one device; the engine
/// never mixes devices in one operation. Operations launch asynchronously and in order; reading a tensor back
/// to the host waits for them.
/// </summary>
public sealed partial class Device : IDisposable
{
    /// <summary>The environment variable that overrides <see cref="Best"/>: <c>cpu</c>, <c>cuda</c>, <c>opencl</c>, optionally with <c>:index</c>.</summary>
    public const string EnvironmentVariable = "AUTODIFF_DEVICE";

    [ThreadStatic]
    private static Accelerator? boundOnThisThread;

    private readonly Context context;
    private int disposed;

    private Device(Context context, Accelerator accelerator, DeviceKind kind, int index)
    {
        this.context = context;
        Accelerator = accelerator;
        Kind = kind;
        Index = index;
        Id = FormatId(kind, index);
        Kernels = new KernelLibrary(accelerator);
        Memory = new DeviceMemory(this, kind == DeviceKind.Cpu ? HostMemory : accelerator.MemorySize);
        boundOnThisThread = accelerator;
    }

    /// <summary>The accelerator kind.</summary>
    public DeviceKind Kind { get; }

    /// <summary>Index among the devices of this kind.</summary>
    public int Index { get; }

    /// <summary><c>cuda:0</c>, <c>opencl:0</c> or <c>cpu:0</c>.</summary>
    public string Id { get; }

    /// <summary>The accelerator's name, as <see cref="List"/> shows it.</summary>
    public string Name => Kind == DeviceKind.Cpu ? CpuName(Accelerator.MaxNumThreadsPerGroup) : Accelerator.Name;

    /// <summary>Device memory in bytes; for the CPU accelerator, the memory available to this process.</summary>
    public long MemorySize => Kind == DeviceKind.Cpu ? HostMemory : Accelerator.MemorySize;

    /// <summary>The caching allocator and its statistics.</summary>
    public DeviceMemory Memory { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref disposed) != 0;

    internal Accelerator Accelerator { get; }

    internal KernelLibrary Kernels { get; }

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
    public static Device Best()
    {
        string? spec = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(spec))
        {
            try
            {
                return Open(spec);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{EnvironmentVariable}={spec}: {e.Message}", EnvironmentVariable, e);
            }
        }
        var best = List()[0];
        return Open(best.Kind, best.Index);
    }

    /// <summary>Opens the CPU accelerator, one thread per core.</summary>
    public static Device Cpu() => Open(DeviceKind.Cpu, 0);

    /// <summary>Opens CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => Open(DeviceKind.Cuda, index);

    /// <summary>Opens OpenCL device <paramref name="index"/>.</summary>
    public static Device OpenCL(int index = 0) => Open(DeviceKind.OpenCL, index);

    /// <summary>Opens a device by identifier: <c>cpu</c>, <c>cuda</c>, <c>opencl</c>, optionally with <c>:index</c>; <c>best</c> picks as <see cref="Best"/>.</summary>
    public static Device Open(string spec)
    {
        var (kind, index) = ParseId(spec);
        if (kind is null)
        {
            var best = List()[0];
            return Open(best.Kind, best.Index);
        }
        return Open(kind.Value, index);
    }

    /// <summary>Opens device <paramref name="index"/> of <paramref name="kind"/>; a clear error lists what is present when it is absent.</summary>
    public static Device Open(DeviceKind kind, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var context = CreateContext(kind);
        try
        {
            var devices = DevicesOf(context, kind);
            if (index >= devices.Count)
            {
                string present = string.Join(", ", List().Select(d => d.ToString()));
                throw new DeviceNotFoundException($"no {FormatId(kind, index)} device is present; present: {present}");
            }
            var accelerator = devices[index].CreateAccelerator(context);
            return new Device(context, accelerator, kind, index);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda:1</c>, <c>opencl</c>, <c>best</c>; kind is null for <c>best</c>.</summary>
    public static (DeviceKind? Kind, int Index) ParseId(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string text = spec.Trim().ToLowerInvariant();
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? text : text[..colon];
        int index = 0;
        if (colon >= 0 && (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out index)))
            throw new ArgumentException($"bad device '{spec}': the index after ':' must be a number, e.g. cuda:0", nameof(spec));
        DeviceKind? kind = name switch
        {
            "cpu" => DeviceKind.Cpu,
            "cuda" or "gpu" => DeviceKind.Cuda,
            "opencl" or "cl" => DeviceKind.OpenCL,
            "best" or "auto" => null,
            _ => throw new ArgumentException($"unknown device '{spec}': use cpu, cuda, opencl or best, optionally with :index", nameof(spec)),
        };
        return (kind, index);
    }

    /// <summary>Waits until every launched operation has finished.</summary>
    public void Synchronize()
    {
        BindToThisThread();
        Accelerator.Synchronize();
    }

    /// <summary>Frees every device buffer and the accelerator. Tensors of this device become unusable.</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref disposed) != 0)
            return;
        BindToThisThread();
        Accelerator.Synchronize();
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        Memory.Dispose();
        Accelerator.Dispose();
        context.Dispose();
        if (ReferenceEquals(boundOnThisThread, Accelerator))
            boundOnThisThread = null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Name})";

    private static long HostMemory => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static string CpuName(int threads) => $"CPU accelerator, {threads} threads";

    internal static string FormatId(DeviceKind kind, int index) => $"{kind.ToString().ToLowerInvariant()}:{index}";

    /// <summary>Makes this device's accelerator current on the calling thread (CUDA contexts are per thread) and returns collected tensors' blocks.</summary>
    internal void BindToThisThread()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!ReferenceEquals(boundOnThisThread, Accelerator))
        {
            Accelerator.Bind();
            boundOnThisThread = Accelerator;
        }
    }

    /// <summary>Called before every launch: binds the accelerator.</summary>
    internal void EnterLaunch() => BindToThisThread();

    private static Context CreateContext(DeviceKind? only)
    {
        // The CPU accelerator gets one OS thread per core in a single group: elementwise kernels give each
        // thread one contiguous chunk (see LaunchPlan). ILGPU's default simulates 16 threads with barriers.
        int threads = Math.Max(2, Environment.ProcessorCount);
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
}

/// <summary>The requested device is not present.</summary>
public sealed class DeviceNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeviceNotFoundException(string message) : base(message)
    {
    }
}
