using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// The indexing family: gather by an integer index array and its adjoint, scatter-add.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Launches <c>y[o, j, r] = x[o, index(o, j), r]</c> for x viewed as (outer, n, inner) and y as
    /// (outer, count, inner): <c>x[idx]</c> along any axis with one shared index list (<paramref name="perSlice"/>
    /// false, <c>indices.Length == count</c>), or one list per outer slice (<paramref name="perSlice"/> true,
    /// <c>indices.Length == outer·count</c>; <c>x[arange(N), t]</c> is outer = N, inner = 1, count = 1).
    /// Negative indices count from the end; indices outside [−n, n) read 0.
    /// </summary>
    public void Gather<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<T> y, long outer, long n, long inner, bool perSlice = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Index(x, indices, y, outer, n, inner, perSlice, scatter: false);

    /// <summary>
    /// Launches <c>x[o, index(o, j), r] += y[o, j, r]</c>, the adjoint of <see cref="Gather{T}"/> (same
    /// geometry): repeated indices accumulate (atomic adds, so the order of float additions may vary on
    /// GPUs); indices out of range add nothing. x is not cleared first.
    /// </summary>
    public void ScatterAdd<T>(ArrayView<T> y, ArrayView<int> indices, ArrayView<T> x, long outer, long n, long inner, bool perSlice = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Index(x, indices, y, outer, n, inner, perSlice, scatter: true);

    private void Index<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<T> y, long outer, long n, long inner, bool perSlice, bool scatter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var geometry = Geometry(x, indices, y, outer, n, inner, perSlice);
        Enter();
        if (y.Length == 0)
            return;
        if (x.Length == 0)
        {
            // Every index is out of range: a gather reads zeros, a scatter adds nothing.
            if (!scatter)
                Fill(y, T.Zero);
            return;
        }
        backend.Index(x, indices, y, geometry, scatter);
    }

    private static IndexGeometry Geometry<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<T> y, long outer, long n, long inner, bool perSlice)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        long count = perSlice ? (outer == 0 ? 0 : indices.Length / outer) : indices.Length;
        if (perSlice && count * outer != indices.Length)
            throw new ArgumentException($"{indices.Length} indices do not split into {outer} equal lists", nameof(indices));
        CheckLength(x, outer * n * inner, nameof(x));
        CheckLength(y, outer * count * inner, nameof(y));
        return new IndexGeometry(outer, n, Math.Max(1, inner), Math.Max(1, count), perSlice ? count : 0);
    }
}
