using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The elementwise kernels, specialised by operator structs, in two launch styles (see <see cref="KernelStyle"/>).
/// Every kernel is explicitly grouped and correct for any grid.
/// </summary>
public static unsafe class ElementwiseKernels
{
    // The CPU accelerator calls chunked kernels as plain .NET methods: AggressiveOptimization skips the
    // tier-0 JIT, whose loop code runs at about half speed.

    /// <summary>Chunked <c>y[i] = TOp(x[i])</c>: thread t takes elements [t·chunk, (t+1)·chunk) through raw pointers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MapChunked<T, TOp>(ArrayView<T> x, ArrayView<T> y, long chunk)
        where T : unmanaged, INumber<T>
        where TOp : struct, IUnaryOperator
    {
        if (!ChunkOf(y.Length, chunk, out long start, out long count))
            return;
        fixed (T* px = &x[start])
        fixed (T* py = &y[start])
        {
            for (long i = 0; i < count; i++)
                py[i] = TOp.Apply(px[i]);
        }
    }

    /// <summary>Chunked <c>y[i] = TOp(a[i], b[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZipChunked<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, long chunk)
        where T : unmanaged, INumber<T>
        where TOp : struct, IBinaryOperator
    {
        if (!ChunkOf(y.Length, chunk, out long start, out long count))
            return;
        fixed (T* pa = &a[start])
        fixed (T* pb = &b[start])
        fixed (T* py = &y[start])
        {
            for (long i = 0; i < count; i++)
                py[i] = TOp.Apply(pa[i], pb[i]);
        }
    }

    /// <summary>Chunked <c>y[i] = value</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FillChunked<T>(ArrayView<T> y, T value, long chunk)
        where T : unmanaged, INumber<T>
    {
        if (!ChunkOf(y.Length, chunk, out long start, out long count))
            return;
        fixed (T* py = &y[start])
        {
            for (long i = 0; i < count; i++)
                py[i] = value;
        }
    }

    /// <summary>
    /// Packed grid-stride <c>y[i] = TOp(x[i])</c>: threads walk the packs with the grid's stride (coalesced),
    /// then the first threads take the tail elements that do not fill a pack.
    /// </summary>
    public static void MapPacked<T, TPack, TOp>(ArrayView<TPack> x, ArrayView<TPack> y, ArrayView<T> xTail, ArrayView<T> yTail)
        where T : unmanaged, INumber<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IUnaryOperator
    {
        long first = Grid.GlobalIndex.X;
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = first; i < y.Length; i += stride)
            y[i] = TPack.Map<TOp>(x[i]);
        for (long t = first; t < yTail.Length; t += stride)
            yTail[t] = TOp.Apply(xTail[t]);
    }

    /// <summary>Packed grid-stride <c>y[i] = TOp(a[i], b[i])</c>.</summary>
    public static void ZipPacked<T, TPack, TOp>(
        ArrayView<TPack> a, ArrayView<TPack> b, ArrayView<TPack> y, ArrayView<T> aTail, ArrayView<T> bTail, ArrayView<T> yTail)
        where T : unmanaged, INumber<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IBinaryOperator
    {
        long first = Grid.GlobalIndex.X;
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = first; i < y.Length; i += stride)
            y[i] = TPack.Zip<TOp>(a[i], b[i]);
        for (long t = first; t < yTail.Length; t += stride)
            yTail[t] = TOp.Apply(aTail[t], bTail[t]);
    }

    /// <summary>Packed grid-stride <c>y[i] = value</c>.</summary>
    public static void FillPacked<T, TPack>(ArrayView<TPack> y, ArrayView<T> yTail, T value)
        where T : unmanaged, INumber<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        long first = Grid.GlobalIndex.X;
        long stride = (long)Grid.DimX * Group.DimX;
        var pack = TPack.Splat(value);
        for (long i = first; i < y.Length; i += stride)
            y[i] = pack;
        for (long t = first; t < yTail.Length; t += stride)
            yTail[t] = value;
    }

    private static bool ChunkOf(long n, long chunk, out long start, out long count)
    {
        start = Grid.GlobalIndex.X * chunk;
        count = chunk < n - start ? chunk : n - start;
        return start < n;
    }
}
