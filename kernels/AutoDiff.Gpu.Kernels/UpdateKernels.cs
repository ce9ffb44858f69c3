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
    /// <summary>Grid-stride over the elements of p: <c>(p, s1, s2) = rule(p, g, s1, s2)</c>, the states read and written only where the rule keeps them.</summary>
    public static void Update<T, TRule>(ArrayView<T> p, ArrayView<T> g, ArrayView<T> s1, ArrayView<T> s2, TRule rule)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule
    {
        long stride = ElementwiseKernels.GridStride();
        for (long i = Grid.GlobalIndex.X; i < p.Length; i += stride)
        {
            var (pi, a, b) = rule.Apply(p[i], g[i], TRule.States > 0 ? s1[i] : T.Zero, TRule.States > 1 ? s2[i] : T.Zero);
            p[i] = pi;
            if (TRule.States > 0)
                s1[i] = a;
            if (TRule.States > 1)
                s2[i] = b;
        }
    }
}

/// <summary>Chunked update (see <see cref="UpdateKernels.Update{T, TRule}"/>): items are elements.</summary>
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
