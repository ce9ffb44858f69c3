using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu;

// What the accelerator runs: the matrix product in use and the launches so far.
public sealed partial class Device
{
    /// <summary>The default <see cref="FusionMinElements"/> of the CPU accelerator.</summary>
    public const long CpuFusionMinElements = 16384;

    /// <summary>
    /// The fewest elements an elementwise result of computed operands needs to stay pending (see
    /// <see cref="Config.Fusion"/>); smaller ones are computed at once, and a chain of them only once it grows from a
    /// pending tensor. 0 on GPUs, where every launch saved counts; <see cref="CpuFusionMinElements"/> on the CPU
    /// accelerator, where small arrays stay in the core's caches and a pending tensor's bookkeeping costs more than
    /// the pass it saves. Per device handle; at least 0.
    /// </summary>
    public long FusionMinElements
    {
        get => fusionMinElements;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            fusionMinElements = value;
        }
    }

    private long fusionMinElements;

    /// <summary>Kernel launches on this device's accelerator so far, by every handle on it (a fused expression is one).</summary>
    public long KernelLaunches => Launch.Count(this);

    /// <summary>
    /// Compilations so far: kernels this device's accelerator compiled, plus fused expression shapes made (once a
    /// process). A loop that runs the same expressions compiles on its first iteration only.
    /// </summary>
    public long Compilations => Launch.Compilations(this);

    /// <summary>
    /// Which matrix product runs here: <see cref="MatMulImplementation.Blocked"/> on the CPU accelerator,
    /// <see cref="MatMulImplementation.CuBlas"/> on CUDA where cuBLAS loads, else
    /// <see cref="MatMulImplementation.Tiled"/> (and <see cref="CuBlasUnavailableReason"/> says why). On CUDA
    /// the first read tries to load cuBLAS.
    /// </summary>
    public MatMulImplementation MatMulImplementation
    {
        get
        {
            ThrowIfDisposed();
            return Launch.MatMulImplementation(this);
        }
    }

    /// <summary>
    /// Whether the tiled product (<see cref="MatMulImplementation.Tiled"/>) computes float64 on the GPU's float64
    /// matrix units: CUDA devices of compute capability 8.0 and later (A100, H100, H200).
    /// </summary>
    public bool Float64TensorCores
    {
        get
        {
            ThrowIfDisposed();
            return Launch.Float64TensorCores(this);
        }
    }

    /// <summary>Why cuBLAS is not used on a CUDA device (library missing, failed call), or null (in use, or not CUDA).</summary>
    public string? CuBlasUnavailableReason
    {
        get
        {
            ThrowIfDisposed();
            return Kind == DeviceKind.Cuda ? Launch.CuBlasUnavailableReason(this) : null;
        }
    }
}
