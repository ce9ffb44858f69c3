using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Gather and scatter-add by an integer index array along the middle axis of x viewed as (outer, n, inner):
/// <c>y[o, j, r] = x[o, index(o, j), r]</c> and its adjoint <c>x[o, index(o, j), r] += y[o, j, r]</c>, where
/// <c>index(o, j) = indices[o·indexStride + j]</c> — indexStride 0 takes the same indices in every outer slice
/// (<c>x[idx]</c>, <c>x[:, idx]</c>), indexStride = count takes one list per slice (<c>x[arange(N), t]</c> with
/// count 1). A negative index counts from the end, as in NumPy; an index still outside [0, n) reads 0 and
/// adds nothing. The scatter adds atomically, so repeated indices accumulate.
/// </summary>
internal static class IndexKernels
{
    /// <summary>Grid-stride over the elements of y: gather (<paramref name="scatter"/> 0) or atomic scatter-add into x (1).</summary>
    public static void Index<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<T> y, IndexGeometry geometry, int scatter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long stride = ElementwiseKernels.GridStride();
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride)
        {
            long offset = geometry.Source(i, indices);
            if (scatter == 0)
                y[i] = offset < 0 ? T.Zero : x[offset];
            else if (offset >= 0)
                AtomicAdd(x, offset, y[i]);
        }
    }

    /// <summary>x[offset] += value atomically, for float32 and float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AtomicAdd<T>(ArrayView<T> x, long offset, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A constant branch after specialization: ILGPU's atomics are not generic.
        if (Interop.SizeOf<T>() == sizeof(float))
            Atomic.Add(ref x.Cast<float>()[offset], Unsafe.As<T, float>(ref value));
        else
            Atomic.Add(ref x.Cast<double>()[offset], Unsafe.As<T, double>(ref value));
    }
}

/// <summary>The shape of a gather or scatter: x is (Outer, Length, Inner), y is (Outer, Count, Inner). A kernel argument.</summary>
/// <param name="Outer">Slices before the indexed axis.</param>
/// <param name="Length">Length of x's indexed axis.</param>
/// <param name="Inner">Elements after the indexed axis.</param>
/// <param name="Count">Indices per slice (y's length along the axis).</param>
/// <param name="IndexStride">Distance between the index lists of consecutive slices: 0 (one shared list) or Count.</param>
internal readonly record struct IndexGeometry(long Outer, long Length, long Inner, long Count, long IndexStride)
{
    /// <summary>The offset in x of element <paramref name="i"/> of y, or −1 when its index is out of range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Source(long i, ArrayView<int> indices)
    {
        long row = Divide(i, Inner);
        long r = i - (row * Inner);
        long o = Divide(row, Count);
        long start = Start(o, indices[(o * IndexStride) + row - (o * Count)]);
        return start < 0 ? -1 : start + r;
    }

    /// <summary>a / b, by 32-bit division when both fit (64-bit division is a long routine on GPUs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Divide(long a, long b) => (a | b) <= int.MaxValue ? (int)a / (int)b : a / b;

    /// <summary>The offset in x of row (<paramref name="outer"/>, <paramref name="index"/>), or −1 when the index is out of range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Start(long outer, long index)
    {
        if (index < 0)
            index += Length;
        if (index < 0 || index >= Length)
            return -1;
        return ((outer * Length) + index) * Inner;
    }
}
