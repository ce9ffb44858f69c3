using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

// Fused reductions: a reduction over the elements of a fused expression, which is never written.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Launches <c>y = post(⊕ e)</c> over the middle axis of e viewed as (outer, n, inner), with
    /// <c>e[i] = expr(x₀[B₀(i)], …, x₇[B₇(i)])</c> for outer·n·inner elements as the fused launch computes it.
    /// Each element is evaluated where the reduction reads it: the result is bit for bit the
    /// <see cref="Reduce{T, TReduce, TPost}"/> of the written expression, in the launches of the reduction alone.
    /// </summary>
    public void FusedReduce<T, TExpr, TReduce, TPost>(
        ReadOnlySpan<ArrayView<T>> inputs, ReadOnlySpan<BroadcastIndex> indices, ArrayView<T> y,
        long outer, long n, long inner, TExpr expr, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        var slots = CheckSlots<T, TExpr>(inputs, indices, outer * n * inner);
        CheckLength(y, outer * inner, nameof(y));
        Enter();
        if (y.Length == 0)
            return;
        var input = new ExpressionInput<T, TExpr>(SlotsOf(inputs, y), slots, expr);
        Reduce<T, ExpressionInput<T, TExpr>, TReduce, TPost>(input, y, outer, n, inner, post);
    }

    /// <summary>What the first pass of a reduction reads: a view, or a fused expression's elements.</summary>
    private interface IReduceInput<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>The backend's rows reduction of this input.</summary>
        void Rows<TReduce, TPost>(
            IKernelBackend backend, ArrayView<T> y, long rows, long n, long segment, long segments, int group,
            TPost post)
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator;

        /// <summary>The backend's columns reduction of this input.</summary>
        void Columns<TReduce, TPost>(
            IKernelBackend backend, ArrayView<T> y, long outer, long n, long inner, long segment, long segments,
            TPost post)
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator;
    }

    /// <summary>A contiguous view's elements.</summary>
    private readonly struct ViewInput<T>(ArrayView<T> x) : IReduceInput<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Rows<TReduce, TPost>(
            IKernelBackend backend, ArrayView<T> y, long rows, long n, long segment, long segments, int group,
            TPost post)
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            backend.ReduceRows<T, TReduce, TPost>(x, y, rows, n, segment, segments, group, post);

        public void Columns<TReduce, TPost>(
            IKernelBackend backend, ArrayView<T> y, long outer, long n, long inner, long segment, long segments,
            TPost post)
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            backend.ReduceColumns<T, TReduce, TPost>(x, y, outer, n, inner, segment, segments, post);
    }

    /// <summary>A fused expression's elements, evaluated where they are read.</summary>
    private readonly struct ExpressionInput<T, TExpr>(SlotViews<T> x, Operands<BroadcastIndex> indices, TExpr expr)
        : IReduceInput<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
    {
        public void Rows<TReduce, TPost>(
            IKernelBackend backend, ArrayView<T> y, long rows, long n, long segment, long segments, int group,
            TPost post)
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            backend.FusedReduceRows<T, TExpr, TReduce, TPost>(
                x, indices, expr, y, rows, n, segment, segments, group, post);

        public void Columns<TReduce, TPost>(
            IKernelBackend backend, ArrayView<T> y, long outer, long n, long inner, long segment, long segments,
            TPost post)
            where TReduce : struct, IReduction
            where TPost : struct, IUnaryOperator =>
            backend.FusedReduceColumns<T, TExpr, TReduce, TPost>(
                x, indices, expr, y, outer, n, inner, segment, segments, post);
    }

    /// <summary>The packed rows kernel over an expression, with the pack type the row length allows.</summary>
    private readonly struct FusedRowsLaunch<T, TExpr, TReduce, TPost>(
        SlotViews<T> x, Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y, ReduceGeometry geometry,
        KernelConfig config, TPost post) : IPackedLaunch
        where T : unmanaged
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var v = Cast<T, TElem>(x);
            library.FusedKernel<ArrayView<TElem>, TElem, TExpr, TPost>(
                FusedReduceKernels.Rows<TElem, TPack, TExpr, TReduce, TPost>)(
                config, y.Cast<TElem>(), v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], indices, expr, geometry,
                post);
        }
    }

    /// <summary>The packed columns kernel over an expression, with the pack type the columns allow.</summary>
    private readonly struct FusedColumnsLaunch<T, TExpr, TReduce, TPost>(
        SlotViews<T> x, Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y, ReduceGeometry geometry,
        TPost post) : IPackedLaunch
        where T : unmanaged
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var v = Cast<T, TElem>(x);
            var g = geometry;
            var target = y.SubView(0, g.Outer * g.Segments * g.Inner).Cast<TPack>();
            library.FusedKernel<ArrayView<TPack>, TElem, TExpr, TPost>(
                FusedReduceKernels.Columns<TElem, TPack, TExpr, TReduce, TPost>)(
                library.GridStride(target.Length), target, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], indices,
                expr, g, post);
        }
    }

    /// <summary>The slots' views as <typeparamref name="TElem"/>, T itself (the launch is generic twice).</summary>
    private static SlotViews<TElem> Cast<T, TElem>(in SlotViews<T> x)
        where T : unmanaged
        where TElem : unmanaged
    {
        var views = default(SlotViews<TElem>);
        for (int k = 0; k < Operands<T>.Count; k++)
            views[k] = x[k].Cast<TElem>();
        return views;
    }

    /// <summary>A fused reduction kernel: output, eight slots, their indices, the expression, the geometry.</summary>
    private Action<KernelConfig, TY, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>,
        ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, Operands<BroadcastIndex>, TExpr,
        ReduceGeometry, TPost> FusedKernel<TY, TElem, TExpr, TPost>(
        Action<TY, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>,
            ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, Operands<BroadcastIndex>, TExpr, ReduceGeometry,
            TPost> method)
        where TY : struct
        where TElem : unmanaged
        where TExpr : struct, IExpression
        where TPost : struct, IUnaryOperator =>
        (Action<KernelConfig, TY, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>,
            ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, Operands<BroadcastIndex>, TExpr,
            ReduceGeometry, TPost>)Cached(method, static (a, m) => a.LoadStreamKernel(
            (Action<TY, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>,
                ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, Operands<BroadcastIndex>, TExpr, ReduceGeometry,
                TPost>)m));
}
