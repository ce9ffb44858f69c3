using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The GPU layout's fused reductions (<see cref="KernelStyle.Packed"/>): the rows and columns kernels of
/// <see cref="ReduceKernels"/>, each pack computed from a fused expression's inputs instead of loaded, so the
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
        var reader = new ExpressionReader<T, TExpr>(x0, x1, x2, x3, x4, x5, x6, x7, indices, g.Gathered != 0);
        ReduceKernels.Rows<T, TPack, ExpressionPacks<T, TPack, TExpr>, TReduce, TPost>(
            shared, new(reader, expr), y, g.Outer, g.N, g.Segment, g.Segments, post);
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
        var reader = new ExpressionReader<T, TExpr>(x0, x1, x2, x3, x4, x5, x6, x7, indices, g.Gathered != 0);
        ReduceKernels.Columns<T, TPack, ExpressionPacks<T, TPack, TExpr>, TReduce, TPost>(
            new(reader, expr), y, g.Outer, g.N, g.Inner, g.Segment, g.Segments, post);
    }
}

/// <summary>
/// A fused reduction's (outer, n, inner) view, its split of n into segments, and whether the inputs read whole are
/// gathered an element at a time (1: they are not 16-byte aligned; the packs still combine as the written
/// expression's). A number, not a bool: kernel parameters are blittable.
/// </summary>
internal readonly record struct ReduceGeometry(
    long Outer, long N, long Inner, long Segment, long Segments, int Gathered = 0);

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
