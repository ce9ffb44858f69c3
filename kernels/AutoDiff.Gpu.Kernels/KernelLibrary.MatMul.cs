using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace AutoDiff.Gpu.Kernels;

// The matrix-product family: cuBLAS where it loads, the tiled kernel on other GPUs, the blocked kernel on the CPU accelerator.
public sealed unsafe partial class KernelLibrary
{
    private readonly Lock blasGate = new();
    private CuBlasMatMul? blas;
    private int matMul = -1; // a MatMulImplementation once resolved (an int: read without the lock)
    private string? cuBlasUnavailable;

    /// <summary>Whether <see cref="MatMul{T}"/> may use cuBLAS on a CUDA accelerator (default true); false keeps the tiled kernel (benchmarks compare the two).</summary>
    public bool AllowCuBlas { get; init; } = true;

    /// <summary>The implementation <see cref="MatMul{T}"/> runs (on CUDA, the first call tries to load cuBLAS).</summary>
    public MatMulImplementation MatMulImplementation => Volatile.Read(ref matMul) is var known and >= 0 ? (MatMulImplementation)known : ResolveMatMul();

    /// <summary>Why cuBLAS is not used on a CUDA accelerator (library missing, handle failed, disabled), or null.</summary>
    public string? CuBlasUnavailableReason
    {
        get
        {
            _ = MatMulImplementation;
            return cuBlasUnavailable;
        }
    }

    /// <summary>
    /// Launches <c>C = alpha·op(A)·op(B) + beta·C</c> for row-major C (m×n) with op(A) m×k — A stored m×k, or
    /// k×m when <paramref name="transposeA"/> — and op(B) k×n — B stored k×n, or n×k when
    /// <paramref name="transposeB"/>; so a backward pass needs no materialized transposes. Any m, n, k
    /// (k = 0 gives beta·C); beta = 0 never reads C.
    /// </summary>
    public void MatMul<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, int m, int n, int k,
        bool transposeA = false, bool transposeB = false, double alpha = 1, double beta = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckLength(a, (long)m * k, nameof(a));
        CheckLength(b, (long)k * n, nameof(b));
        CheckLength(c, (long)m * n, nameof(c));
        var geometry = new MatMulGeometry(m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0);
        Enter();
        var implementation = MatMulImplementation;
        if (c.Length == 0)
            return;
        T alphaT = Scalar.To<T>(alpha), betaT = Scalar.To<T>(beta);
        switch (implementation)
        {
            case MatMulImplementation.CuBlas when TryCuBlas(a, b, c, geometry, alpha, beta):
                break;
            case MatMulImplementation.Blocked:
                Blocked(a, b, c, geometry, alphaT, betaT);
                break;
            default:
                Tiled(a, b, c, geometry, alphaT, betaT);
                break;
        }
    }

    /// <summary>
    /// Whether the tiled kernel fetches the next step's tiles while it computes
    /// (<see cref="MatMulKernels.MatMulTiledPrefetch{T, TTile}"/>: 128×128 blocks for float32, 64×64 for float64) where
    /// groups hold their threads; false keeps the kernel that loads, then computes (benchmarks compare the two).
    /// float64 keeps 64×64 blocks: a 128×128 block's 64 float64 accumulators per thread leave too few registers.
    /// </summary>
    public bool PrefetchTiles { get; init; } = true;

    /// <summary>
    /// Whether the tiled float64 product may run on the GPU's float64 matrix units (default true): PTX's
    /// <c>mma.sync</c> 8×8×4 on CUDA SM 8.0 and later (<see cref="MatMulKernels.MatMulTensorCores{TTile}"/>), where
    /// float64 runs twice as fast as on the ordinary units; false keeps the register-tile kernel (benchmarks compare
    /// the two). <see cref="Float64TensorCores"/> says whether it is in use.
    /// </summary>
    public bool TensorCores { get; init; } = true;

    /// <summary>Whether tiled float64 products here run on the matrix units (<see cref="TensorCores"/> on a CUDA accelerator of SM 8.0 or later).</summary>
    public bool Float64TensorCores =>
        TensorCores
        && accelerator.MaxNumThreadsPerGroup >= (LargeTensorCoreTiles ? LargeTensorCoreTile.Threads : TensorCoreTile.Threads)
        && (EmulateTensorCores ? accelerator.WarpSize == 32 : accelerator is CudaAccelerator { Architecture: { } architecture } && architecture >= CudaArchitecture.SM_80);

    /// <summary>Runs the matrix-unit kernel in 128×128 blocks (<see cref="LargeTensorCoreTile"/>) instead of 64×64 ones: benchmarks and tests compare the two.</summary>
    internal bool LargeTensorCoreTiles { get; init; }

    /// <summary>Runs the matrix-unit kernel where inline PTX does not run (a CPU accelerator with 32-lane warps), each lane computing the operations from shared memory: tests check its layout so.</summary>
    internal bool EmulateTensorCores { get; init; }

    /// <summary>
    /// The width of the CPU product's register tiles, in bits: 512, 256 or 128; by default the widest this CPU runs
    /// natively (<see cref="PackedProduct.NativeVectorBits"/>). Tests run the narrower ones too.
    /// </summary>
    internal int CpuVectorBits { get; init; } = PackedProduct.NativeVectorBits;

    /// <summary>The CPU accelerator's product: packed (<see cref="PackedProduct"/>), or dot products when small.
    /// </summary>
    private void Blocked<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, MatMulGeometry g, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long work = (long)g.M * g.N * g.K;
        if (work <= CpuRoutines.SmallProduct)
        {
            RunChunked(new SmallMatMulBody<T>(Pointer(a), Pointer(b), Pointer(c), g, alpha, beta), g.M, 1);
            return;
        }
        var plan = PackedProduct.Of<T>(g, ChunkedThreads(long.MaxValue, work / 32), CpuVectorBits);
        var (left, right) = plan.Swapped != 0 ? (b, a) : (a, b);
        var body = new MatMulBody<T>(Pointer(left), Pointer(right), Pointer(c), plan, alpha, beta);
        RunChunked(body, plan.Items, ChunkedThreads(plan.Items, work / 32));
    }

    private void Tiled<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, MatMulGeometry g, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double) && Float64TensorCores)
        {
            var (da, db, dc) = (a.Cast<double>(), b.Cast<double>(), c.Cast<double>());
            if (LargeTensorCoreTiles)
                OnMatrixUnits<LargeTensorCoreTile>(da, db, dc, g, double.CreateTruncating(alpha), double.CreateTruncating(beta));
            else
                OnMatrixUnits<TensorCoreTile>(da, db, dc, g, double.CreateTruncating(alpha), double.CreateTruncating(beta));
            return;
        }

        // The tile whose thread count the accelerator's groups hold: 256 threads on GPUs (64 for float64), 2 on
        // the CPU accelerator.
        int group = accelerator.MaxNumThreadsPerGroup;
        if (group >= MatMulKernels.Threads<LargeTile>() && typeof(T) == typeof(float))
            TiledWith<T, LargeTile>(a, b, c, g, alpha, beta);
        else if (group >= MatMulKernels.Threads<MediumTile>())
            TiledWith<T, MediumTile>(a, b, c, g, alpha, beta);
        else
            TiledWith<T, SmallTile>(a, b, c, g, alpha, beta);
    }

    private void OnMatrixUnits<TTile>(ArrayView<double> a, ArrayView<double> b, ArrayView<double> c, MatMulGeometry g, double alpha, double beta)
        where TTile : struct, ITensorCoreTile
    {
        long blocks = (long)Ceiling(g.M, TTile.BlockM) * Ceiling(g.N, TTile.BlockN);
        Kernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, MatMulGeometry, double, double>(MatMulKernels.MatMulTensorCores<TTile>, TTile.Threads, TTile.GroupsPerMultiprocessor)(
            new KernelConfig((int)blocks, TTile.Threads), a, b, c, g, alpha, beta);
    }

    private void TiledWith<T, TTile>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, MatMulGeometry g, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
    {
        long groups = (long)Ceiling(g.M, TTile.BlockM) * Ceiling(g.N, TTile.BlockN);
        var config = new KernelConfig((int)groups, MatMulKernels.Threads<TTile>());
        var kernel = PrefetchTiles && MatMulKernels.Staged<TTile>() > 0
            ? Kernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulGeometry, T, T>(MatMulKernels.MatMulTiledPrefetch<T, TTile>, TTile.Threads, TTile.GroupsPerMultiprocessor)
            : Kernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, MatMulGeometry, T, T>(MatMulKernels.MatMulTiled<T, TTile>, TTile.Threads, TTile.GroupsPerMultiprocessor);
        kernel(config, a, b, c, g, alpha, beta);
    }

    private MatMulImplementation ResolveMatMul()
    {
        lock (blasGate)
        {
            if (matMul >= 0)
                return (MatMulImplementation)matMul;
            var chosen = backend.MatMul;
            if (chosen == MatMulImplementation.Tiled && accelerator is CudaAccelerator cuda)
            {
                if (!AllowCuBlas)
                    cuBlasUnavailable = "disabled (AllowCuBlas is false)";
                else
                    blas = CuBlasMatMul.TryCreate(cuda, out cuBlasUnavailable);
                chosen = blas is null ? MatMulImplementation.Tiled : MatMulImplementation.CuBlas;
            }
            Volatile.Write(ref matMul, (int)chosen);
            return chosen;
        }
    }

    /// <summary>Runs cuBLAS; a failing call (a library that loaded but cannot run here) leaves the tiled kernel in its place from then on.</summary>
    private bool TryCuBlas<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, MatMulGeometry g, double alpha, double beta)
        where T : unmanaged
    {
        try
        {
            blas!.Gemm(a, b, c, g, alpha, beta);
            return true;
        }
        catch (Exception e) when (e is CuBlasException or EntryPointNotFoundException or DllNotFoundException)
        {
            lock (blasGate)
            {
                cuBlasUnavailable = $"cuBLAS failed, tiled kernel used instead: {e.GetType().Name}: {e.Message}";
                Volatile.Write(ref matMul, (int)MatMulImplementation.Tiled);
            }
            return false;
        }
    }

    private void ReleaseCuBlas()
    {
        lock (blasGate)
        {
            if (blas is null)
                return;
            try
            {
                accelerator.Bind();
                blas.Dispose();
            }
            catch (Exception e) when (e is CuBlasException or InvalidOperationException or ObjectDisposedException)
            {
                // The context is going away; the handle goes with it.
            }
            blas = null;
        }
    }
}
