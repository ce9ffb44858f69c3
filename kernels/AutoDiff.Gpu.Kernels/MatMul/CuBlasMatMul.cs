using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// cuBLAS GEMM on a CUDA accelerator's default stream, for row-major matrices. Created only when the library
/// loads and a handle opens; any failure leaves the caller on the tiled kernel with the reason.
/// </summary>
internal sealed class CuBlasMatMul : IDisposable
{
    /// <summary>An absolute path to a cuBLAS library to use instead of the ones ILGPU.Algorithms names.</summary>
    public const string PathVariable = "AUTODIFF_CUBLAS";

    private static readonly Lazy<bool> ResolverInstalled = new(InstallResolver);

    private readonly CuBlas blas;

    private CuBlasMatMul(CuBlas blas)
    {
        this.blas = blas;
    }

    /// <summary>The cuBLAS version the handle reports.</summary>
    public int Version => blas.Version;

    /// <summary>Opens cuBLAS on <paramref name="accelerator"/>, or returns null with the reason.</summary>
    public static CuBlasMatMul? TryCreate(CudaAccelerator accelerator, out string? reason)
    {
        _ = ResolverInstalled.Value;
        try
        {
            var blas = new CuBlas(accelerator);
            try
            {
                // Full-precision float32: no TF32 tensor-op math (PyTorch's baseline has TF32 off too).
                blas.MathMode = CuBlasMathMode.DefaultMath;
                reason = null;
                return new CuBlasMatMul(blas);
            }
            catch
            {
                blas.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException
            or CuBlasException or CudaException or TypeInitializationException or InvalidOperationException or NotSupportedException)
        {
            reason = $"{e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// Row-major <c>C = alpha·op(A)·op(B) + beta·C</c> as cuBLAS's column-major <c>Cᵀ = op(B)ᵀ·op(A)ᵀ</c>: the
    /// row-major buffers are the transposes cuBLAS reads, so the operands swap and no data moves.
    /// </summary>
    public void Gemm<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, MatMulGeometry g, double alpha, double beta)
        where T : unmanaged
    {
        var opA = g.TransposeA != 0 ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        var opB = g.TransposeB != 0 ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        int lda = Math.Max(1, g.TransposeA != 0 ? g.M : g.K);
        int ldb = Math.Max(1, g.TransposeB != 0 ? g.K : g.N);
        int ldc = Math.Max(1, g.N);
        if (typeof(T) == typeof(float))
            blas.Gemm(opB, opA, g.N, g.M, g.K, (float)alpha, b.Cast<float>(), ldb, a.Cast<float>(), lda, (float)beta, c.Cast<float>(), ldc);
        else if (typeof(T) == typeof(double))
            blas.Gemm(opB, opA, g.N, g.M, g.K, alpha, b.Cast<double>(), ldb, a.Cast<double>(), lda, beta, c.Cast<double>(), ldc);
        else
            throw new NotSupportedException($"cuBLAS GEMM for {typeof(T).Name}");
    }

    /// <inheritdoc/>
    public void Dispose() => blas.Dispose();

    /// <summary>
    /// ILGPU.Algorithms 1.5.3 names cuBLAS 10 to 12 (libcublas.so.12); CUDA 13 machines have libcublas.so.13,
    /// whose GEMM entry points are the same. When the named library does not load, try the path in
    /// <see cref="PathVariable"/>, then newer and unversioned names.
    /// </summary>
    private static bool InstallResolver()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(CuBlas).Assembly, Resolve);
            return true;
        }
        catch (InvalidOperationException)
        {
            // Someone else resolves this assembly's imports already.
            return false;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!name.Contains("cublas", StringComparison.OrdinalIgnoreCase))
            return IntPtr.Zero;
        if (NativeLibrary.TryLoad(name, assembly, path, out var handle))
            return handle;
        string? configured = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(configured) && NativeLibrary.TryLoad(configured.Trim(), out handle))
            return handle;
        string[] fallbacks = OperatingSystem.IsWindows()
            ? ["cublas64_13.dll", "cublas64_12.dll"]
            : ["libcublas.so.13", "libcublas.so", "/usr/local/cuda/lib64/libcublas.so.13", "/usr/local/cuda/lib64/libcublas.so.12", "/usr/local/cuda/lib64/libcublas.so"];
        foreach (string candidate in fallbacks)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out handle))
                return handle;
        }
        return IntPtr.Zero;
    }
}
