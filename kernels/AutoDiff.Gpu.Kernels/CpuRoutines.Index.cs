using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// Rows [start, start + count) of y (each (o, j), Inner elements): mode 0 gathers
    /// <c>y[o, j, :] = x[o, index(o, j), :]</c> (0 where out of range); mode 1 adds <c>x[o, index(o, j), :] += y[o, j, :]</c>;
    /// mode 2 adds with compare-and-swap, for rows other threads may add to.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Index<T>(T* x, int* indices, T* y, IndexGeometry geometry, long start, long count, int mode)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inner = checked((int)geometry.Inner);
        for (long row = start; row < start + count; row++)
        {
            long o = row / geometry.Count;
            long offset = geometry.Start(o, indices[(o * geometry.IndexStride) + row - (o * geometry.Count)]);
            var rowOfY = new Span<T>(y + (row * inner), inner);
            if (mode == 0)
            {
                if (offset < 0)
                    rowOfY.Clear();
                else
                    new ReadOnlySpan<T>(x + offset, inner).CopyTo(rowOfY);
            }
            else if (offset >= 0)
            {
                T* target = x + offset;
                for (int r = 0; r < inner; r++)
                {
                    if (mode == 2)
                        AtomicAdd(target + r, rowOfY[r]);
                    else
                        target[r] += rowOfY[r];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AtomicAdd<T>(T* target, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Compare bits, not values: a NaN never equals itself.
        T seen = *target;
        while (true)
        {
            T previous = Interlocked.CompareExchange(ref *target, seen + value, seen);
            if (SameBits(previous, seen))
                return;
            seen = previous;
        }
    }

    private static bool SameBits<T>(T a, T b)
        where T : unmanaged =>
        Unsafe.SizeOf<T>() == sizeof(float)
            ? Unsafe.As<T, int>(ref a) == Unsafe.As<T, int>(ref b)
            : Unsafe.As<T, long>(ref a) == Unsafe.As<T, long>(ref b);
}

/// <summary>Chunked gather or scatter-add: items are rows (o, j) of y (see <see cref="CpuRoutines.Index{T}"/> for the modes).</summary>
internal readonly unsafe struct IndexBody<T>(Address<T> x, Address<int> indices, Address<T> y, IndexGeometry geometry, int mode) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.Index<T>(x, indices, y, geometry, start, count, mode);
}
