using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// An optimizer's update of one element: the parameter p, its gradient g and up to two state elements (a velocity,
/// moment estimates), all updated together. A struct functor with its hyper-parameters as <see cref="Parameter"/>
/// fields, as the elementwise operators are.
/// </summary>
public interface IUpdateRule
{
    /// <summary>State arrays the rule keeps beside each parameter: 0, 1 or 2 (a constant for each rule type).</summary>
    static abstract int States { get; }

    /// <summary>The new (p, s1, s2) from the old ones and g; states the rule does not keep are returned unchanged.</summary>
    (T P, T S1, T S2) Apply<T>(T p, T g, T s1, T s2) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>The update kernels: one launch updates a parameter and its states in place, reading each array once.</summary>
internal static class UpdateKernels
{
    /// <summary>
    /// Packed grid-stride <c>(p, s1, s2) = rule(p, g, s1, s2)</c>, the states read and written only where the rule
    /// keeps them: <see cref="ElementwiseKernels.Unroll"/> packs a step, all loaded before any is stored, the rest
    /// one at a time, then the tail that fills no pack. The views are 16-byte aligned where
    /// <typeparamref name="TPack"/> has several lanes.
    /// </summary>
    public static void Update<T, TPack, TRule>(
        ArrayView<T> p, ArrayView<T> g, ArrayView<T> s1, ArrayView<T> s2, TRule rule)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TRule : struct, IUpdateRule
    {
        long first = Grid.GlobalIndex.X;
        long stride = ElementwiseKernels.GridStride();
        var packs = new UpdatePacks<T, TPack, TRule>(
            p.Cast<TPack>(), g.Cast<TPack>(), s1.Cast<TPack>(), s2.Cast<TPack>());
        long i = first;
        for (; i + (3 * stride) < packs.Length; i += ElementwiseKernels.Unroll * stride)
        {
            long i1 = i + stride, i2 = i1 + stride, i3 = i2 + stride;
            var (x0, x1, x2, x3) = (packs.Load(i), packs.Load(i1), packs.Load(i2), packs.Load(i3));
            packs.Store(i, TPack.Update(ref rule, x0));
            packs.Store(i1, TPack.Update(ref rule, x1));
            packs.Store(i2, TPack.Update(ref rule, x2));
            packs.Store(i3, TPack.Update(ref rule, x3));
        }
        for (; i < packs.Length; i += stride)
            packs.Store(i, TPack.Update(ref rule, packs.Load(i)));
        var tail = new UpdatePacks<T, Single<T>, TRule>(
            p.Cast<Single<T>>(), g.Cast<Single<T>>(), s1.Cast<Single<T>>(), s2.Cast<Single<T>>());
        for (long t = (packs.Length * TPack.Lanes) + first; t < p.Length; t += stride)
            tail.Store(t, Single<T>.Update(ref rule, tail.Load(t)));
    }
}

/// <summary>One pack of a parameter, its gradient and its two states.</summary>
internal struct UpdateOperands<TPack>(TPack p, TPack g, TPack s1, TPack s2)
    where TPack : unmanaged
{
    public TPack P = p, G = g, S1 = s1, S2 = s2;
}

/// <summary>The packs of an update's four arrays; the states only where the rule keeps them.</summary>
internal readonly struct UpdatePacks<T, TPack, TRule>(
    ArrayView<TPack> p, ArrayView<TPack> g, ArrayView<TPack> s1, ArrayView<TPack> s2)
    where T : unmanaged, IFloatingPointIeee754<T>
    where TPack : unmanaged, IPack<TPack, T>
    where TRule : struct, IUpdateRule
{
    /// <summary>Packs in each array.</summary>
    public long Length => p.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public UpdateOperands<TPack> Load(long i) =>
        new(p[i], g[i], TRule.States > 0 ? s1[i] : default, TRule.States > 1 ? s2[i] : default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(long i, in UpdateOperands<TPack> x)
    {
        p[i] = x.P;
        if (TRule.States > 0)
            s1[i] = x.S1;
        if (TRule.States > 1)
            s2[i] = x.S2;
    }
}

/// <summary>Chunked update (see <see cref="UpdateKernels.Update{T, TPack, TRule}"/>): items are elements.</summary>
internal readonly unsafe struct UpdateBody<T, TRule>(Address<T> p, Address<T> g, Address<T> s1, Address<T> s2, TRule rule) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TRule : struct, IUpdateRule
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(long start, long count)
    {
        T* ps = p, gs = g, firsts = s1, seconds = s2;
        var r = rule;
        for (long i = start; i < start + count; i++)
        {
            var (pi, a, b) = r.Apply(ps[i], gs[i], TRule.States > 0 ? firsts[i] : T.Zero, TRule.States > 1 ? seconds[i] : T.Zero);
            ps[i] = pi;
            if (TRule.States > 0)
                firsts[i] = a;
            if (TRule.States > 1)
                seconds[i] = b;
        }
    }
}
