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
        if (style == KernelStyle.Chunked)
        {
            RunChunked(new UpdateBody<T, TRule>(Pointer(p), Pointer(g), Pointer(s1), Pointer(s2), rule), p.Length, ChunkedThreads(p.Length, p.Length));
            return;
        }
        // A state the rule does not keep is never read: p stands in for it, so no launch passes an empty view.
        var first = TRule.States > 0 ? s1 : p;
        var second = TRule.States > 1 ? s2 : p;
        Kernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, TRule>(UpdateKernels.Update<T, TRule>)(GridStride(p.Length), p, g, first, second, rule);
    }
}
