using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// The elementwise family: contiguous maps and zips, fill, and the strided launchers that serve broadcasting,
// transposes, slices, materialized broadcasts and scatters into strided outputs.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>Launches <c>y[i] = op(x[i])</c>; x and y have the same length (y may be x).</summary>
    public void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator
    {
        CheckLength(x, y.Length, nameof(x));
        Enter();
        if (y.Length > 0)
            backend.Map(x, y, op);
    }

    /// <summary>Launches <c>y[i] = op(a[i], b[i])</c>; a, b and y have the same length (y may be a or b).</summary>
    public void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        CheckLength(a, y.Length, nameof(a));
        CheckLength(b, y.Length, nameof(b));
        Enter();
        if (y.Length > 0)
            backend.Zip(a, b, y, op);
    }

    /// <summary>Launches <c>y[i] = value</c>.</summary>
    public void Fill<T>(ArrayView<T> y, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Enter();
        if (y.Length > 0)
            backend.Fill(y, value);
    }

    /// <summary>
    /// Launches <c>y[C(i)] = op(x[A(i)])</c> over every element i of <paramref name="shape"/> (row-major), where
    /// A and C are the operands' strides: a contiguous copy or map of a transposed, sliced (steps included) or
    /// broadcast x (strides 0), and a scatter into a strided y (no stride 0 where its size exceeds 1: each
    /// element of y is written once).
    /// </summary>
    public void Map<T, TOp>(ReadOnlySpan<int> shape, Strided<T> x, Strided<T> y, TOp op = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator =>
        Elementwise(shape, x, new Strided<T>(x.View, x.Strides), y, new UnaryAsBinary<TOp>(op), unary: true);

    /// <summary>Launches <c>y[C(i)] = x[A(i)]</c>: transpose, slice, materialized broadcast, contiguous copy or strided scatter (see <see cref="Map{T, TOp}(ReadOnlySpan{int}, Strided{T}, Strided{T}, TOp)"/>).</summary>
    public void Copy<T>(ReadOnlySpan<int> shape, Strided<T> x, Strided<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Map(shape, x, y, default(IdentityOperator));

    /// <summary>
    /// Launches <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> over every element i of <paramref name="shape"/>: NumPy
    /// broadcasting when a and b have strides 0 in the dimensions they are broadcast along (y contiguous), and a
    /// read-modify-write of a strided y when y is also a (the adjoint of a slice: <c>x[slice] += g</c>). y has no
    /// stride 0 where its size exceeds 1. Same-shape operands, "rows" ((M, N) with (N,)) and "columns" ((M, N)
    /// with (M, 1), and scalars) take fast paths on GPUs.
    /// </summary>
    public void Zip<T, TOp>(ReadOnlySpan<int> shape, Strided<T> a, Strided<T> b, Strided<T> y, TOp op = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator =>
        Elementwise(shape, a, b, y, op, unary: false);

    /// <summary>The strided launcher behind Map and Zip (a map is a zip whose op ignores b = a).</summary>
    private void Elementwise<T, TOp>(ReadOnlySpan<int> shape, Strided<T> a, Strided<T> b, Strided<T> y, TOp op, bool unary)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        if (!StridedLayout.TryCreate(shape, a.Strides, b.Strides, y.Strides, out var layout))
        {
            ElementwiseSplit(shape, a, b, y, op, unary);
            return;
        }
        CheckStrided(layout, a.View, b.View, y.View);
        Enter();
        if (layout.Count == 0)
            return;
        if (layout.IsContiguous(0) && layout.IsContiguous(1) && layout.IsContiguous(2))
            backend.Zip(a.View.SubView(0, layout.Count), b.View.SubView(0, layout.Count), y.View.SubView(0, layout.Count), op);
        else
            backend.Strided(layout, a.View, b.View, y.View, op, unary);
    }

    /// <summary>
    /// A launch with more dimensions than <see cref="StridedLayout.MaxRank"/> after merging (a transpose of a tensor
    /// of rank 9 or more, say): one launch per index of its smallest dimension, each over the others (and so on,
    /// until the rest fits a layout), so that a large dimension is never looped over on the host.
    /// </summary>
    private void ElementwiseSplit<T, TOp>(ReadOnlySpan<int> shape, Strided<T> a, Strided<T> b, Strided<T> y, TOp op, bool unary)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        int rank = shape.Length, split = -1;
        for (int d = rank - 1; d >= 0; d--)
        {
            if (shape[d] > 1 && (split < 0 || shape[d] <= shape[split]))
                split = d;
        }
        Span<long> contiguous = stackalloc long[rank];
        StridedLayout.ContiguousStrides(shape, contiguous);
        ReadOnlySpan<long> sa = a.Strides.IsEmpty ? contiguous : a.Strides;
        ReadOnlySpan<long> sb = b.Strides.IsEmpty ? contiguous : b.Strides;
        ReadOnlySpan<long> sy = y.Strides.IsEmpty ? contiguous : y.Strides;
        Span<int> rest = stackalloc int[rank - 1];
        Span<long> ra = stackalloc long[rank - 1], rb = stackalloc long[rank - 1], ry = stackalloc long[rank - 1];
        for (int d = 0, r = 0; d < rank; d++)
        {
            if (d == split)
                continue;
            rest[r] = shape[d];
            ra[r] = sa[d];
            rb[r] = sb[d];
            ry[r] = sy[d];
            r++;
        }
        for (int i = 0; i < shape[split]; i++)
        {
            Elementwise<T, TOp>(
                rest,
                new Strided<T>(Skip(a.View, i * sa[split]), ra),
                new Strided<T>(Skip(b.View, i * sb[split]), rb),
                new Strided<T>(Skip(y.View, i * sy[split]), ry),
                op,
                unary);
        }

        static ArrayView<T> Skip(ArrayView<T> view, long offset) =>
            offset <= view.Length ? view.SubView(offset, view.Length - offset) : throw new ArgumentException($"the strides reach element {offset} of an operand with {view.Length} elements");
    }

    private static void CheckStrided<T>(in StridedLayout layout, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y)
        where T : unmanaged
    {
        if (layout.MaxOffset(0) >= a.Length)
            throw new ArgumentException($"the strides reach element {layout.MaxOffset(0)} of an operand with {a.Length} elements", nameof(a));
        if (layout.MaxOffset(1) >= b.Length)
            throw new ArgumentException($"the strides reach element {layout.MaxOffset(1)} of an operand with {b.Length} elements", nameof(b));
        if (layout.MaxOffset(2) >= y.Length)
            throw new ArgumentException($"the strides reach element {layout.MaxOffset(2)} of an output with {y.Length} elements", nameof(y));
        if (layout.Repeats(2))
            throw new ArgumentException("the output has stride 0 in a dimension larger than 1: elements would be written more than once (reduce instead)", nameof(y));
    }

    private readonly struct ZipLaunch<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op) : IPackedLaunch
        where T : unmanaged
        where TOp : struct, IBinaryOperator
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var (ae, be, ye) = (a.Cast<TElem>(), b.Cast<TElem>(), y.Cast<TElem>());
            long body = Split<TElem, TPack>(ye.Length, out long packs);
            library.Kernel<ArrayView<TPack>, ArrayView<TPack>, ArrayView<TPack>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, TOp>(
                ElementwiseKernels.ZipPacked<TElem, TPack, TOp>)(
                library.GridStride(packs), Body<TElem, TPack>(ae, body), Body<TElem, TPack>(be, body), Body<TElem, TPack>(ye, body),
                Tail(ae, body), Tail(be, body), Tail(ye, body), op);
        }
    }

    private readonly struct FillLaunch<T>(ArrayView<T> y, T value) : IPackedLaunch
        where T : unmanaged
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var ye = y.Cast<TElem>();
            long body = Split<TElem, TPack>(ye.Length, out long packs);
            T element = value;
            library.Kernel<ArrayView<TPack>, ArrayView<TElem>, TElem>(ElementwiseKernels.FillPacked<TElem, TPack>)(
                library.GridStride(packs), Body<TElem, TPack>(ye, body), Tail(ye, body), System.Runtime.CompilerServices.Unsafe.As<T, TElem>(ref element));
        }
    }

    private readonly struct BroadcastLaunch<T, TOp>(ArrayView<T> a, ArrayView<T> row, ArrayView<T> column, ArrayView<T> y, long columns, TOp op) : IPackedLaunch
        where T : unmanaged
        where TOp : struct, IBinaryOperator
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var ye = Packs<T, TPack>(y);
            var config = library.GridStride(ye.Length);
            long packs = columns / TPack.Lanes, stride = (long)config.GridDim.X * config.GroupDim.X;
            library.Kernel<ArrayView<TPack>, ArrayView<TPack>, ArrayView<TElem>, ArrayView<TPack>, long, long, long, TOp>(ElementwiseKernels.BroadcastPacked<TElem, TPack, TOp>)(
                config, Packs<T, TPack>(a), Packs<T, TPack>(row), column.Cast<TElem>(), ye, packs, stride / packs, stride % packs, op);
        }
    }
}
