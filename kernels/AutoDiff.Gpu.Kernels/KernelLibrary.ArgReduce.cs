using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// The arg-reduction family: argmax and argmin along an axis, and a classifier's hits against labels.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>Rows at least this long take a group each on GPUs (one thread a row reads them uncoalesced).</summary>
    private const long LongRow = 256;

    /// <summary>
    /// Launches <c>indices[o, r]</c> = the position along j of the greatest (<paramref name="minimum"/> false) or least
    /// x[o, j, r] for x viewed as (outer, n, inner): the first one, or the first NaN (NumPy's argmax and argmin).
    /// </summary>
    /// <exception cref="ArgumentException">The reduced axis is empty (n = 0) and there are lines to reduce, or a view's length does not match.</exception>
    public void ArgReduce<T>(ArrayView<T> x, ArrayView<int> indices, long outer, long n, long inner, bool minimum = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(indices, outer * inner, nameof(indices));
        ArgReduce(x, indices, ArrayView<int>.Empty, ArrayView<T>.Empty, outer, n, inner, minimum);
    }

    /// <summary>
    /// Launches <c>hits[o, r]</c> = 1 where the argmax along j of x[o, j, r] (see <see cref="ArgReduce{T}(ArrayView{T}, ArrayView{int}, long, long, long, bool)"/>)
    /// equals <c>labels[o, r]</c>, else 0: a label out of range never hits.
    /// </summary>
    public void ArgMaxHits<T>(ArrayView<T> x, ArrayView<int> labels, ArrayView<T> hits, long outer, long n, long inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLength(labels, outer * inner, nameof(labels));
        CheckLength(hits, outer * inner, nameof(hits));
        ArgReduce(x, ArrayView<int>.Empty, labels, hits, outer, n, inner, minimum: false);
    }

    private void ArgReduce<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<int> labels, ArrayView<T> hits, long outer, long n, long inner, bool minimum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, int.MaxValue);
        CheckLength(x, outer * n * inner, nameof(x));
        long lines = outer * inner;
        if (lines > 0 && n == 0)
            throw new ArgumentException($"the position of the {(minimum ? "least" : "greatest")} element of an empty axis is undefined ({outer} × 0 × {inner})", nameof(n));
        Enter();
        if (lines == 0)
            return;
        backend.ArgReduce(x, indices, labels, hits, new ArgGeometry(outer, n, inner, minimum ? 1 : 0));
    }
}
