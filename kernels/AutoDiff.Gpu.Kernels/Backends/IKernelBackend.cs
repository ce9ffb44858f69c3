using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// How one accelerator runs the work of each kernel family, picked once per library (<see cref="KernelStyle"/>):
/// chunked loops on the calling thread and the thread pool (the CPU accelerator), or packed grid-stride kernels
/// (GPUs). The launchers check their arguments, count the launch and plan; the backend runs what they planned.
/// Every view given is valid and not empty.
/// </summary>
internal interface IKernelBackend
{
    /// <summary>Im2col and col2im have launches of their own (else the engine gathers by offsets).</summary>
    bool HasWindowKernels { get; }

    /// <summary>The matrix product this backend runs: blocked (CPU) or tiled (GPUs; CUDA tries cuBLAS first).</summary>
    MatMulImplementation MatMul { get; }

    /// <summary><c>y[i] = op(x[i])</c>, all of y's length.</summary>
    void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator;

    /// <summary><c>y[i] = op(a[i], b[i])</c>, all of y's length.</summary>
    void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator;

    /// <summary><c>y[i] = value</c>.</summary>
    void Fill<T>(ArrayView<T> y, T value)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> over a layout that is not contiguous in every operand; with
    /// <paramref name="unary"/> b is a and op ignores it.
    /// </summary>
    void Strided<T, TOp>(in StridedLayout layout, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, TOp op, bool unary)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator;

    /// <summary>
    /// <c>y[i] = expr(x₀[B₀(i)], …, x₇[B₇(i)])</c>, Bₖ slot k's broadcast index where the expression reads it so,
    /// else i; slots the expression does not read hold y.
    /// </summary>
    void Fused<T, TExpr>(in SlotViews<T> x, in Operands<BroadcastIndex> indices, ArrayView<T> y, TExpr expr)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression;

    /// <summary><c>(p, s1, s2) = rule(p, g, s1, s2)</c> in place; states the rule does not keep may be empty.</summary>
    void Update<T, TRule>(ArrayView<T> p, ArrayView<T> g, ArrayView<T> s1, ArrayView<T> s2, TRule rule)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule;

    /// <summary>Segments to split each of <paramref name="rows"/> rows of n into, and the group of each.</summary>
    (long Segments, int Group) RowSegments(long rows, long n);

    /// <summary>
    /// <c>y[r, s] = post(⊕ x[r, j])</c> over segment s of each row (j in [s·segment, (s + 1)·segment) ∩ [0, n)),
    /// in groups of <paramref name="group"/> threads where the backend has groups.
    /// </summary>
    void ReduceRows<T, TReduce, TPost>(
        ArrayView<T> x, ArrayView<T> y, long rows, long n, long segment, long segments, int group, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator;

    /// <summary>Segments to split the reduced axis of an (outer, n, inner) view into, and their fewest rows.</summary>
    (long Segments, long Minimum) ColumnSegments(long outer, long n, long inner);

    /// <summary><c>y[o, s, r] = post(⊕ x[o, j, r])</c> over segment s of the axis, as ReduceRows.</summary>
    void ReduceColumns<T, TReduce, TPost>(
        ArrayView<T> x, ArrayView<T> y, long outer, long n, long inner, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator;

    /// <summary>
    /// As <see cref="ReduceRows"/> over the elements of <c>expr(x₀[B₀(i)], …, x₇[B₇(i)])</c> (see
    /// <see cref="Fused"/>), evaluated as they are reduced: bit for bit the reduction of the written expression.
    /// </summary>
    void FusedReduceRows<T, TExpr, TReduce, TPost>(
        in SlotViews<T> x, in Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y,
        long rows, long n, long segment, long segments, int group, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator;

    /// <summary>As <see cref="ReduceColumns"/> over an expression's elements, as in FusedReduceRows.</summary>
    void FusedReduceColumns<T, TExpr, TReduce, TPost>(
        in SlotViews<T> x, in Operands<BroadcastIndex> indices, TExpr expr, ArrayView<T> y,
        long outer, long n, long inner, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator;

    /// <summary>Random numbers into y, or a dropout of x into y, in <paramref name="blocks"/> Philox blocks.</summary>
    void Random<T>(ArrayView<T> x, ArrayView<T> y, RandomArguments arguments, long blocks)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Argmax or argmin along an axis into indices, or hits against labels (the unused pair empty).</summary>
    void ArgReduce<T>(
        ArrayView<T> x, ArrayView<int> indices, ArrayView<int> labels, ArrayView<T> hits, ArgGeometry geometry)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>A gather from x into y, or (<paramref name="scatter"/>) a scatter-add of y into x.</summary>
    void Index<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<T> y, IndexGeometry geometry, bool scatter)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
