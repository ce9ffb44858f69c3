using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The inputs of a fused expression <c>expr(x₀[B₀(i)], …, x₇[B₇(i)])</c> in a GPU kernel, a pack at a time: a
/// slot read whole loads its pack at once (one vector load, so its view is 16-byte aligned where the pack has several
/// lanes) unless <c>gather</c> is set, a broadcast slot gathers its lanes at its index's offsets. Each input the
/// expression reads is loaded once; unused slots are never read.
/// </summary>
/// <remarks>
/// The expression is not held here: kernels pass it by reference (<see cref="IPack{TSelf, T}.Apply"/>), so that its
/// parameters are read in place. A reader that held it would be taken by address, views and all.
/// </remarks>
internal readonly struct ExpressionReader<T, TExpr>(
    ArrayView<T> x0, ArrayView<T> x1, ArrayView<T> x2, ArrayView<T> x3, ArrayView<T> x4, ArrayView<T> x5,
    ArrayView<T> x6, ArrayView<T> x7, Operands<BroadcastIndex> indices, bool gather = false)
    where T : unmanaged, IFloatingPointIeee754<T>
    where TExpr : struct, IExpression
{
    /// <summary>The inputs of pack <paramref name="p"/> (elements p·lanes, p·lanes + 1, …), one pack a slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Operands<TPack> Load<TPack>(long p)
        where TPack : unmanaged, IPack<TPack, T>
    {
        int n = TExpr.Inputs;
        var o = default(Operands<TPack>);
        if (n > 0) o.X0 = Slot<TPack>(0, x0, indices.X0, p);
        if (n > 1) o.X1 = Slot<TPack>(1, x1, indices.X1, p);
        if (n > 2) o.X2 = Slot<TPack>(2, x2, indices.X2, p);
        if (n > 3) o.X3 = Slot<TPack>(3, x3, indices.X3, p);
        if (n > 4) o.X4 = Slot<TPack>(4, x4, indices.X4, p);
        if (n > 5) o.X5 = Slot<TPack>(5, x5, indices.X5, p);
        if (n > 6) o.X6 = Slot<TPack>(6, x6, indices.X6, p);
        if (n > 7) o.X7 = Slot<TPack>(7, x7, indices.X7, p);
        return o;
    }

    /// <summary>Slot k's pack p: loaded whole, gathered, or gathered through its broadcast index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TPack Slot<TPack>(int k, ArrayView<T> x, BroadcastIndex index, long p)
        where TPack : unmanaged, IPack<TPack, T>
    {
        if ((TExpr.Broadcast & (1 << k)) != 0)
            return TPack.Gather(new BroadcastElements(x, index), p * TPack.Lanes);
        return gather ? TPack.Gather(new ViewElements<T>(x), p * TPack.Lanes) : x.Cast<TPack>()[p];
    }

    /// <summary>The elements of a broadcast slot, element i at its index's offset.</summary>
    private readonly struct BroadcastElements(ArrayView<T> x, BroadcastIndex index) : IElements<T>
    {
        public T this[long i]
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => x[index.Offset(i)];
        }
    }
}

/// <summary>The packs of a fused expression's elements.</summary>
/// <remarks>
/// Reduction kernels take their sources by value: each pack applies a copy of the expression, as every element did
/// when packs were gathered lane by lane.
/// </remarks>
internal readonly struct ExpressionPacks<T, TPack, TExpr>(ExpressionReader<T, TExpr> reader, TExpr expr)
    : IPackSource<TPack>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TPack : unmanaged, IPack<TPack, T>
    where TExpr : struct, IExpression
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TPack Load(long p)
    {
        var e = expr;
        return TPack.Apply(ref e, reader.Load<TPack>(p));
    }
}
