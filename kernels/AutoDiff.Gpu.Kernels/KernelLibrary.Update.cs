using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// The update family: an optimizer's step over a parameter, its gradient and its states, in place.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Launches <c>(p, s1, s2) = rule(p, g, s1, s2)</c> elementwise, in place. g and the states the rule keeps
    /// (<see cref="IUpdateRule.States"/>) have p's length; the others may be empty.
    /// </summary>
    public void Update<T, TRule>(ArrayView<T> p, ArrayView<T> g, ArrayView<T> s1, ArrayView<T> s2, TRule rule)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule
    {
        CheckLength(g, p.Length, nameof(g));
        if (TRule.States > 0)
            CheckLength(s1, p.Length, nameof(s1));
        if (TRule.States > 1)
            CheckLength(s2, p.Length, nameof(s2));
        Enter();
        if (p.Length == 0)
            return;
        backend.Update(p, g, s1, s2, rule);
    }

    /// <summary>The packed update kernel, with the pack type the views allow.</summary>
    private readonly struct UpdateLaunch<T, TRule>(
        ArrayView<T> p, ArrayView<T> g, ArrayView<T> s1, ArrayView<T> s2, TRule rule) : IPackedLaunch
        where T : unmanaged
        where TRule : struct, IUpdateRule
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var kernel = library.Kernel<ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, TRule>(
                UpdateKernels.Update<TElem, TPack, TRule>);
            kernel(library.GridStride(p.Length / TPack.Lanes), p.Cast<TElem>(), g.Cast<TElem>(), s1.Cast<TElem>(),
                s2.Cast<TElem>(), rule);
        }
    }
}
