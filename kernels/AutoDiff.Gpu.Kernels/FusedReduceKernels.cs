using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The GPU layout's fused reductions (<see cref="KernelStyle.Packed"/>): the rows and columns kernels of
/// <see cref="ReduceKernels"/>, each pack gathered from a fused expression's elements instead of loaded, so the
/// expression is never written. Lanes combine as they do over the written expression: the same bits.
/// </summary>
internal static class FusedReduceKernels
{
    /// <summary><see cref="ReduceKernels.ReduceRowsPacked"/> over <c>expr(x₀[B₀(i)], …, x₇[B₇(i)])</c>.</summary>
    public static void Rows<T, TPack, TExpr, TReduce, TPost>(
        ArrayView<T> y, ArrayView<T> x0, ArrayView<T> x1, ArrayView<T> x2, ArrayView<T> x3, ArrayView<T> x4,
        ArrayView<T> x5, ArrayView<T> x6, ArrayView<T> x7, Operands<BroadcastIndex> indices, TExpr expr,
        ReduceGeometry g, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        var shared = SharedMemory.Allocate<T>(ReduceKernels.MaxGroup);
        var reader = new ExpressionReader<T, TExpr>(x0, x1, x2, x3, x4, x5, x6, x7, indices, expr);
        ReduceKernels.Rows<T, TPack, ExpressionPacks<T, TPack, TExpr>, TReduce, TPost>(
            shared, new(reader), y, g.Outer, g.N, g.Segment, g.Segments, post);
    }

    /// <summary><see cref="ReduceKernels.ReduceColumnsPacked"/> over <c>expr(x₀[B₀(i)], …, x₇[B₇(i)])</c>.</summary>
    public static void Columns<T, TPack, TExpr, TReduce, TPost>(
        ArrayView<TPack> y, ArrayView<T> x0, ArrayView<T> x1, ArrayView<T> x2, ArrayView<T> x3, ArrayView<T> x4,
        ArrayView<T> x5, ArrayView<T> x6, ArrayView<T> x7, Operands<BroadcastIndex> indices, TExpr expr,
        ReduceGeometry g, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        var reader = new ExpressionReader<T, TExpr>(x0, x1, x2, x3, x4, x5, x6, x7, indices, expr);
        ReduceKernels.Columns<T, TPack, ExpressionPacks<T, TPack, TExpr>, TReduce, TPost>(
            new(reader), y, g.Outer, g.N, g.Inner, g.Segment, g.Segments, post);
    }
}

/// <summary>A reduction's (outer, n, inner) view and its split of n into segments.</summary>
internal readonly record struct ReduceGeometry(long Outer, long N, long Inner, long Segment, long Segments);

/// <summary>Packs a GPU reduction reads, p counted in packs.</summary>
/// <typeparam name="TPack">The pack type.</typeparam>
internal interface IPackSource<TPack>
    where TPack : unmanaged
{
    /// <summary>Pack <paramref name="p"/>.</summary>
    TPack Load(long p);
}

/// <summary>The packs of a view.</summary>
internal readonly struct ViewPacks<TPack>(ArrayView<TPack> x) : IPackSource<TPack>
    where TPack : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TPack Load(long p) => x[p];
}

/// <summary>The packs of a fused expression's elements, gathered lane by lane.</summary>
internal readonly struct ExpressionPacks<T, TPack, TExpr>(ExpressionReader<T, TExpr> reader) : IPackSource<TPack>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TPack : unmanaged, IPack<TPack, T>
    where TExpr : struct, IExpression
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TPack Load(long p) => TPack.Gather(reader, p * TPack.Lanes);
}

/// <summary>
/// <c>expr(x₀[B₀(i)], …, x₇[B₇(i)])</c> for any i, in a GPU kernel: the inputs the expression reads loaded once
/// each, a broadcast slot at its index's offset and the others at i. Unused slots are never read.
/// </summary>
internal readonly struct ExpressionReader<T, TExpr>(
    ArrayView<T> x0, ArrayView<T> x1, ArrayView<T> x2, ArrayView<T> x3, ArrayView<T> x4, ArrayView<T> x5,
    ArrayView<T> x6, ArrayView<T> x7, Operands<BroadcastIndex> indices, TExpr expr) : IElements<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TExpr : struct, IExpression
{
    /// <summary>Element <paramref name="i"/> of the expression.</summary>
    public T this[long i]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => At(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T At(long i)
    {
        int n = TExpr.Inputs;
        var o = default(Operands<T>);
        o.X0 = n > 0 ? x0[Offset(0, i)] : T.Zero;
        o.X1 = n > 1 ? x1[Offset(1, i)] : T.Zero;
        o.X2 = n > 2 ? x2[Offset(2, i)] : T.Zero;
        o.X3 = n > 3 ? x3[Offset(3, i)] : T.Zero;
        o.X4 = n > 4 ? x4[Offset(4, i)] : T.Zero;
        o.X5 = n > 5 ? x5[Offset(5, i)] : T.Zero;
        o.X6 = n > 6 ? x6[Offset(6, i)] : T.Zero;
        o.X7 = n > 7 ? x7[Offset(7, i)] : T.Zero;
        return expr.Apply(in o);
    }

    /// <summary>Slot k's element for element i: i, or its broadcast index's offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Offset(int k, long i) => (TExpr.Broadcast & (1 << k)) == 0 ? i : indices.At(k).Offset(i);
}
