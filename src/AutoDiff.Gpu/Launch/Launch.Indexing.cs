using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;

namespace AutoDiff.Gpu;

// Strided gathers and scatters, and gathers and scatter-adds by index arrays.
internal static partial class Launch
{
    /// <summary>
    /// A new contiguous tensor of <paramref name="shape"/> whose element i is x's element at
    /// <paramref name="offset"/> + Σ index·<paramref name="strides"/> (strides in elements, 0 to broadcast):
    /// transposes, materialized broadcasts and slices.
    /// </summary>
    public static Tensor Gather(Tensor x, Shape shape, long[] strides, long offset = 0) =>
        Gather(x, shape, strides, offset, default(IdentityOperator));

    /// <summary>
    /// op of <see cref="Gather(Tensor, Shape, long[], long)"/> in the same launch: element i of the new tensor is
    /// op(x[offset + Σ index·strides]) (a broadcast and a scale: the backward of a mean).
    /// </summary>
    public static Tensor Gather<TOp>(Tensor x, Shape shape, long[] strides, long offset, TOp op)
        where TOp : struct, IUnaryOperator
    {
        x.ThrowIfDisposed();
        var y = x.Device.Empty(shape, x.DType);
        Run(x.Device, x.DType, new CopyBody<TOp>(x, offset, strides, y, 0, [], op));
        GC.KeepAlive(x);
        return y;
    }

    /// <summary>
    /// op(x read as <paramref name="shape"/> by <paramref name="strides"/>), 0 along the dimensions x is broadcast
    /// along: pending while fusion takes it (see <see cref="Fuser"/>), so that an elementwise consumer reads x where
    /// it is; else one gather.
    /// </summary>
    public static Tensor Broadcast<TOp>(Tensor x, Shape shape, long[] strides, TOp op)
        where TOp : struct, IUnaryOperator
    {
        x.ThrowIfDisposed();
        if (Fuser.Fuses(x, x, shape) && Fuser.Broadcast(x, shape, strides, op) is { } pending)
            return pending;
        return Gather(x, shape, strides, 0, op);
    }

    /// <summary>
    /// The adjoint of <see cref="Gather"/> for strides that never repeat an element: a new tensor of
    /// <paramref name="shape"/>, zero except where g's elements land (slice backward, transpose backward).
    /// </summary>
    public static Tensor Scatter(Tensor g, Shape shape, long[] strides, long offset = 0)
    {
        g.ThrowIfDisposed();
        var y = g.Device.Zeros(shape, g.DType);
        Run(g.Device, g.DType, new CopyBody<IdentityOperator>(g, 0, [], y, offset, strides, default, g.Shape));
        GC.KeepAlive(g);
        return y;
    }

    /// <summary>
    /// Gathers along the middle axis of x viewed as (outer, n, inner): a new tensor of <paramref name="shape"/>
    /// (outer·count·inner elements) with <c>y[o, j, r] = x[o, indices[j], r]</c>, or with
    /// <paramref name="perSlice"/> one index per outer slice, <c>y[o, r] = x[o, indices[o], r]</c>
    /// (<c>x[arange(N), t]</c>). The indices must already be in range.
    /// </summary>
    public static Tensor Take(Tensor x, IndexBuffer indices, Shape shape, long outer, long n, long inner, bool perSlice)
    {
        CheckIndices(x, indices);
        var y = x.Device.Empty(shape, x.DType);
        Run(x.Device, x.DType, new IndexBody(x, indices, y, outer, n, inner, perSlice, Scatter: false));
        GC.KeepAlive(x);
        GC.KeepAlive(indices);
        return y;
    }

    /// <summary>
    /// The adjoint of <see cref="Take"/> (same geometry): a new tensor of <paramref name="shape"/> (x's), zero
    /// except that each element of g is added where <see cref="Take"/> read it; repeated indices accumulate.
    /// </summary>
    public static Tensor ScatterAdd(Tensor g, IndexBuffer indices, Shape shape, long outer, long n, long inner, bool perSlice)
    {
        CheckIndices(g, indices);
        var x = g.Device.Zeros(shape, g.DType);
        ScatterAddInto(x, indices, g, outer, n, inner, perSlice);
        return x;
    }

    /// <summary>
    /// <see cref="ScatterAdd"/> into an existing tensor x, in place: each element of g is added to x where
    /// <see cref="Take"/> would read it (a one-hot subtracted from a softmax, for instance).
    /// </summary>
    public static void ScatterAddInto(Tensor x, IndexBuffer indices, Tensor g, long outer, long n, long inner, bool perSlice)
    {
        CheckCompatible(nameof(ScatterAddInto), x, g);
        CheckIndices(g, indices);
        x.BeforeWrite();
        Run(g.Device, g.DType, new IndexBody(x, indices, g, outer, n, inner, perSlice, Scatter: true));
        GC.KeepAlive(g);
        GC.KeepAlive(indices);
    }

    private static void CheckIndices(Tensor x, IndexBuffer indices)
    {
        x.ThrowIfDisposed();
        if (!x.Device.SharesAcceleratorWith(indices.Device))
            throw new ArgumentException($"indices on {indices.Device.Id} cannot index a tensor on {x.Device.Id}");
    }

    /// <summary>y[yOffset + Σ i·yStrides] = op(x[xOffset + Σ i·xStrides]) over every index of the launch's shape (y's, or <paramref name="launchShape"/>).</summary>
    private readonly struct CopyBody<TOp>(Tensor x, long xOffset, long[] xStrides, Tensor y, long yOffset, long[] yStrides, TOp op, Shape? launchShape = null) : IBody
        where TOp : struct, IUnaryOperator
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // Nothing to copy; the offsets of an empty slice may lie past the end of its (empty) operand.
            if ((launchShape ?? y.Shape).Length == 0)
                return;
            var xv = x.View<T>();
            var yv = y.View<T>();
            kernels.Map(
                (launchShape ?? y.Shape).Dimensions,
                new Strided<T>(xv.SubView(xOffset, xv.Length - xOffset), xStrides),
                new Strided<T>(yv.SubView(yOffset, yv.Length - yOffset), yStrides),
                op);
        }
    }

    /// <summary>Gather from x into y, or (<paramref name="Scatter"/>) scatter-add y into x, by an index array.</summary>
    private readonly record struct IndexBody(Tensor X, IndexBuffer Indices, Tensor Y, long Outer, long N, long Inner, bool PerSlice, bool Scatter) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Scatter)
                kernels.ScatterAdd(Y.View<T>(), Indices.View, X.View<T>(), Outer, N, Inner, PerSlice);
            else
                kernels.Gather(X.View<T>(), Indices.View, Y.View<T>(), Outer, N, Inner, PerSlice);
        }
    }
}
