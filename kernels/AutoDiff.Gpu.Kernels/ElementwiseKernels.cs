using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The elementwise kernels, specialised by operator structs. Each is explicitly grouped and works for any
/// launch shape: on GPUs every thread walks the array with a grid stride (coalesced), on the CPU accelerator
/// every thread takes one contiguous chunk of <c>chunk</c> elements through raw pointers (the CPU accelerator
/// runs kernel bodies as .NET code, where an <see cref="ArrayView{T}"/> access per element costs ~4 ns).
/// </summary>
public static unsafe class ElementwiseKernels
{
    /// <summary><c>y[i] = TOp(x[i])</c>.</summary>
    public static void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, long chunk)
        where T : unmanaged, INumber<T>
        where TOp : struct, IUnaryOperator
    {
        long n = y.Length;
        long thread = Grid.GlobalIndex.X;
        if (Accelerator.CurrentType == AcceleratorType.CPU)
        {
            long start = thread * chunk;
            if (start >= n)
                return;
            long count = XMin(chunk, n - start);
            fixed (T* px = &x[start])
            fixed (T* py = &y[start])
            {
                for (long i = 0; i < count; i++)
                    py[i] = TOp.Apply(px[i]);
            }
        }
        else
        {
            long stride = (long)Grid.DimX * Group.DimX;
            for (long i = thread; i < n; i += stride)
                y[i] = TOp.Apply(x[i]);
        }
    }

    /// <summary><c>y[i] = TOp(a[i], b[i])</c>.</summary>
    public static void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, long chunk)
        where T : unmanaged, INumber<T>
        where TOp : struct, IBinaryOperator
    {
        long n = y.Length;
        long thread = Grid.GlobalIndex.X;
        if (Accelerator.CurrentType == AcceleratorType.CPU)
        {
            long start = thread * chunk;
            if (start >= n)
                return;
            long count = XMin(chunk, n - start);
            fixed (T* pa = &a[start])
            fixed (T* pb = &b[start])
            fixed (T* py = &y[start])
            {
                for (long i = 0; i < count; i++)
                    py[i] = TOp.Apply(pa[i], pb[i]);
            }
        }
        else
        {
            long stride = (long)Grid.DimX * Group.DimX;
            for (long i = thread; i < n; i += stride)
                y[i] = TOp.Apply(a[i], b[i]);
        }
    }

    /// <summary><c>y[i] = value</c>.</summary>
    public static void Fill<T>(ArrayView<T> y, T value, long chunk)
        where T : unmanaged, INumber<T>
    {
        long n = y.Length;
        long thread = Grid.GlobalIndex.X;
        if (Accelerator.CurrentType == AcceleratorType.CPU)
        {
            long start = thread * chunk;
            if (start >= n)
                return;
            long count = XMin(chunk, n - start);
            fixed (T* py = &y[start])
            {
                for (long i = 0; i < count; i++)
                    py[i] = value;
            }
        }
        else
        {
            long stride = (long)Grid.DimX * Group.DimX;
            for (long i = thread; i < n; i += stride)
                y[i] = value;
        }
    }

    private static long XMin(long a, long b) => a < b ? a : b;
}
