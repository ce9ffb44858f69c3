using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The routines of the CPU accelerator's chunked launches, each over work items [start, start + count) through
/// raw pointers: stack buffers, <see cref="Vector{T}"/> and odometers are plain .NET code here (ILGPU compiles
/// none of it: <see cref="ChunkedKernel"/> calls a body as an external). GPU kernels never call these.
/// </summary>
internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> for launch elements i in [start, start + count): coordinates are
    /// computed once, then advanced like an odometer along runs of the innermost dimension.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Strided<T, TOp>(T* a, T* b, T* y, StridedLayout layout, long start, long count, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        int rank = layout.Rank;
        if (rank == 0)
        {
            *y = op.Apply(*a, *b);
            return;
        }
        // Per dimension: size, coordinate, and what each offset gains when the dimension wraps into the next.
        int* size = stackalloc int[StridedLayout.MaxRank];
        int* coordinate = stackalloc int[StridedLayout.MaxRank];
        long* carry = stackalloc long[3 * StridedLayout.MaxRank];
        long oa = 0, ob = 0, oy = 0, rest = start;
        for (int d = 0; d < rank; d++)
        {
            size[d] = layout.Size(d);
            int c = (int)(rest % size[d]);
            rest /= size[d];
            coordinate[d] = c;
            oa += c * layout.Stride(0, d);
            ob += c * layout.Stride(1, d);
            oy += c * layout.Stride(2, d);
            if (d + 1 < rank)
            {
                carry[3 * d] = layout.Stride(0, d + 1) - (size[d] * layout.Stride(0, d));
                carry[(3 * d) + 1] = layout.Stride(1, d + 1) - (size[d] * layout.Stride(1, d));
                carry[(3 * d) + 2] = layout.Stride(2, d + 1) - (size[d] * layout.Stride(2, d));
            }
        }

        long sa = layout.A0, sb = layout.B0, sy = layout.C0;
        int inner = size[0];
        while (count > 0)
        {
            int run = (int)Math.Min(inner - coordinate[0], count);
            T* pa = a + oa;
            T* pb = b + ob;
            T* py = y + oy;
            if (sa == 1 && sb == 1 && sy == 1)
                new ZipBody<T, TOp>(pa, pb, py, op).Run(0, run);
            else if (sa == 1 && sb == 0 && sy == 1)
                ContiguousByOne(pa, *pb, py, run, op);
            else if (sa == 0 && sb == 1 && sy == 1)
                ContiguousByOne(pb, *pa, py, run, new Flip<TOp>(op));
            else
            {
                for (int j = 0; j < run; j++)
                    py[j * sy] = op.Apply(pa[j * sa], pb[j * sb]);
            }
            count -= run;
            coordinate[0] += run;
            oa += run * sa;
            ob += run * sb;
            oy += run * sy;
            // Carry into the outer dimensions.
            for (int d = 0; d < rank - 1 && coordinate[d] == size[d]; d++)
            {
                oa += carry[3 * d];
                ob += carry[(3 * d) + 1];
                oy += carry[(3 * d) + 2];
                coordinate[d] = 0;
                coordinate[d + 1]++;
            }
        }
    }

    /// <summary>
    /// <c>y[j] = op(a[j], b)</c> for j &lt; count, as <see cref="ZipBody{T, TOp}"/>: the broadcast of one value of b (of a, with
    /// the operands swapped by <see cref="Flip{TOp}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ContiguousByOne<T, TOp>(T* a, T b, T* y, long count, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        long j = 0;
        if (TOp.Vectorized && Vector.IsHardwareAccelerated)
        {
            var vb = new Vector<T>(b);
            for (int lanes = Vector<T>.Count; j + lanes <= count; j += lanes)
                Vector.Store(op.ApplyVector(Vector.Load(a + j), vb), y + j);
        }
        for (; j < count; j++)
            y[j] = op.Apply(a[j], b);
    }

    /// <summary>Side of the square tiles of <see cref="StridedTiles"/>.</summary>
    public const int Tile = 32;

    /// <summary>
    /// Tiles [start, start + count) of a strided launch whose two innermost dimensions some operand walks
    /// transposed: tile (plane, t1, t0) covers <see cref="Tile"/>×<see cref="Tile"/> elements of dimensions 1
    /// and 0 of one plane (one index of the outer dimensions), so the lines of both the row-wise and the
    /// column-wise operand stay in L1 while the tile is done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void StridedTiles<T, TOp>(T* a, T* b, T* y, StridedLayout layout, long start, long count, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        int n0 = layout.N0, n1 = layout.N1;
        long tiles0 = (n0 + Tile - 1) / Tile, perPlane = tiles0 * ((n1 + Tile - 1) / Tile);
        long a0 = layout.A0, a1 = layout.A1, b0 = layout.B0, b1 = layout.B1, y0 = layout.C0, y1 = layout.C1;
        for (long item = start; item < start + count; item++)
        {
            long plane = item / perPlane, tile = item - (plane * perPlane);
            long oa = 0, ob = 0, oy = 0, rest = plane;
            for (int d = 2; d < layout.Rank; d++)
            {
                long c = rest % layout.Size(d);
                rest /= layout.Size(d);
                oa += c * layout.Stride(0, d);
                ob += c * layout.Stride(1, d);
                oy += c * layout.Stride(2, d);
            }
            int r0 = (int)(tile / tiles0) * Tile, c0 = (int)(tile % tiles0) * Tile;
            int r1 = Math.Min(n1, r0 + Tile), c1 = Math.Min(n0, c0 + Tile);
            for (int r = r0; r < r1; r++)
            {
                T* pa = a + oa + (r * a1), pb = b + ob + (r * b1), py = y + oy + (r * y1);
                for (int c = c0; c < c1; c++)
                    py[c * y0] = op.Apply(pa[c * a0], pb[c * b0]);
            }
        }
    }
}

// The elementwise bodies. The CPU accelerator's loop code runs about twice as fast fully optimized:
// AggressiveOptimization skips the tier-0 JIT.

/// <summary>
/// Chunked <c>y[i] = op(a[i], b[i])</c> over items i, a vector at a time where the operator has a SIMD form (the
/// same values as its scalar one, which takes the rest). y may be a or b: each vector is loaded before its result
/// is stored. The strided routine runs it on its contiguous runs.
/// </summary>
internal readonly unsafe struct ZipBody<T, TOp>(Address<T> a, Address<T> b, Address<T> y, TOp op) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOp : struct, IBinaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(long start, long count)
    {
        T* pa = (T*)a + start, pb = (T*)b + start, py = (T*)y + start;
        var o = op;
        long j = 0;
        if (TOp.Vectorized && Vector.IsHardwareAccelerated)
        {
            for (int lanes = Vector<T>.Count; j + lanes <= count; j += lanes)
                Vector.Store(o.ApplyVector(Vector.Load(pa + j), Vector.Load(pb + j)), py + j);
        }
        for (; j < count; j++)
            py[j] = o.Apply(pa[j], pb[j]);
    }
}

/// <summary>Chunked <c>y[i] = op(x[i])</c> over items i, as <see cref="ZipBody{T, TOp}"/> with one operand.</summary>
internal readonly unsafe struct MapBody<T, TOp>(Address<T> x, Address<T> y, TOp op) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOp : struct, IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(long start, long count)
    {
        T* px = (T*)x + start, py = (T*)y + start;
        var o = op;
        long j = 0;
        if (TOp.Vectorized && Vector.IsHardwareAccelerated)
        {
            for (int lanes = Vector<T>.Count; j + lanes <= count; j += lanes)
                Vector.Store(o.ApplyVector(Vector.Load(px + j)), py + j);
        }
        for (; j < count; j++)
            py[j] = o.Apply(px[j]);
    }
}

/// <summary>Chunked <c>y[i] = value</c> over items i.</summary>
internal readonly unsafe struct FillBody<T>(Address<T> y, T value) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count)
    {
        // Span.Fill is vectorized; spans hold at most int.MaxValue elements.
        for (T* p = (T*)y + start; count > 0;)
        {
            int n = (int)Math.Min(count, int.MaxValue);
            new Span<T>(p, n).Fill(value);
            p += n;
            count -= n;
        }
    }
}

/// <summary>Chunked strided <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> over launch elements i (row-major), walked with an odometer.</summary>
internal readonly unsafe struct StridedBody<T, TOp>(Address<T> a, Address<T> b, Address<T> y, StridedLayout layout, TOp op) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOp : struct, IBinaryOperator
{
    public void Run(long start, long count) => CpuRoutines.Strided<T, TOp>(a, b, y, layout, start, count, op);
}

/// <summary>Chunked strided <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> over square tiles of the two innermost dimensions (transposes).</summary>
internal readonly unsafe struct TilesBody<T, TOp>(Address<T> a, Address<T> b, Address<T> y, StridedLayout layout, TOp op) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOp : struct, IBinaryOperator
{
    public void Run(long start, long count) => CpuRoutines.StridedTiles<T, TOp>(a, b, y, layout, start, count, op);
}
