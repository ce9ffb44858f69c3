using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

// The fused elementwise family: one launcher for any expression of up to eight same-length inputs.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Launches <c>y[i] = expr(x₀[i], …, x₇[i])</c>; every input has y's length (y may be an input). The expression's
    /// type is its shape: each shape compiles once per accelerator (GPUs) or is specialised once by the JIT (CPU).
    /// </summary>
    public void Fused<T, TExpr>(ReadOnlySpan<ArrayView<T>> inputs, ArrayView<T> y, TExpr expr)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
    {
        if (inputs.Length < TExpr.Inputs || inputs.Length > Operands<T>.Count)
            throw new ArgumentException($"the expression reads {TExpr.Inputs} inputs; {inputs.Length} were given (at most {Operands<T>.Count})", nameof(inputs));
        for (int k = 0; k < inputs.Length; k++)
            CheckLength(inputs[k], y.Length, nameof(inputs));
        Enter();
        if (y.Length == 0)
            return;
        var x = default(SlotViews<T>);
        for (int k = 0; k < Operands<T>.Count; k++)
            x[k] = k < inputs.Length ? inputs[k] : y; // unused slots: a valid view that is never read
        backend.Fused(x, y, expr);
    }

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> Kernel<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(
        Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> method)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
        where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>)Cached(
            method, static (a, m) => a.LoadStreamKernel((Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>)m));
}

/// <summary>The views of a fused launch's eight input slots.</summary>
[InlineArray(Operands<float>.Count)]
internal struct SlotViews<T>
    where T : unmanaged
{
    private ArrayView<T> first;
}

/// <summary>
/// The CPU accelerator's fused loop: a vector of elements at a time where the expression has a vector form (the same
/// bits as its scalar form, which takes the rest), each input loaded once per element.
/// </summary>
internal readonly unsafe struct FusedBody<T, TExpr>(Address<T> y, Operands<Address<T>> x, TExpr expr) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TExpr : struct, IExpression
{
    public void Run(long start, long count)
    {
        T* output = (T*)y + start;
        var e = expr;
        int n = TExpr.Inputs;
        T* p0 = (T*)x.X0 + start, p1 = (T*)x.X1 + start, p2 = (T*)x.X2 + start, p3 = (T*)x.X3 + start;
        T* p4 = (T*)x.X4 + start, p5 = (T*)x.X5 + start, p6 = (T*)x.X6 + start, p7 = (T*)x.X7 + start;
        long j = 0;
        if (TExpr.Vectorized && Vector.IsHardwareAccelerated)
        {
            var v = default(Operands<Vector<T>>);
            for (int lanes = Vector<T>.Count; j + lanes <= count; j += lanes)
            {
                // n is a constant of the expression type: the JIT keeps the loads it reads and drops the rest.
                if (n > 0) v.X0 = Vector.Load(p0 + j);
                if (n > 1) v.X1 = Vector.Load(p1 + j);
                if (n > 2) v.X2 = Vector.Load(p2 + j);
                if (n > 3) v.X3 = Vector.Load(p3 + j);
                if (n > 4) v.X4 = Vector.Load(p4 + j);
                if (n > 5) v.X5 = Vector.Load(p5 + j);
                if (n > 6) v.X6 = Vector.Load(p6 + j);
                if (n > 7) v.X7 = Vector.Load(p7 + j);
                Vector.Store(e.ApplyVector(in v), output + j);
            }
        }
        var s = default(Operands<T>);
        for (; j < count; j++)
        {
            if (n > 0) s.X0 = p0[j];
            if (n > 1) s.X1 = p1[j];
            if (n > 2) s.X2 = p2[j];
            if (n > 3) s.X3 = p3[j];
            if (n > 4) s.X4 = p4[j];
            if (n > 5) s.X5 = p5[j];
            if (n > 6) s.X6 = p6[j];
            if (n > 7) s.X7 = p7[j];
            output[j] = e.Apply(in s);
        }
    }
}

/// <summary>The GPU layout's fused kernel (<see cref="KernelStyle.Packed"/>).</summary>
internal static class FusedKernels
{
    /// <summary>
    /// Grid-stride <c>y[i] = expr(x₀[i], …, x₇[i])</c>, the inputs the expression reads loaded once each. Unused slots
    /// are never read.
    /// </summary>
    public static void Run<T, TExpr>(
        ArrayView<T> y, ArrayView<T> x0, ArrayView<T> x1, ArrayView<T> x2, ArrayView<T> x3,
        ArrayView<T> x4, ArrayView<T> x5, ArrayView<T> x6, ArrayView<T> x7, TExpr expr)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
    {
        long stride = ElementwiseKernels.GridStride();
        int n = TExpr.Inputs;
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride)
        {
            var o = default(Operands<T>);
            o.X0 = n > 0 ? x0[i] : T.Zero;
            o.X1 = n > 1 ? x1[i] : T.Zero;
            o.X2 = n > 2 ? x2[i] : T.Zero;
            o.X3 = n > 3 ? x3[i] : T.Zero;
            o.X4 = n > 4 ? x4[i] : T.Zero;
            o.X5 = n > 5 ? x5[i] : T.Zero;
            o.X6 = n > 6 ? x6[i] : T.Zero;
            o.X7 = n > 7 ? x7[i] : T.Zero;
            y[i] = expr.Apply(in o);
        }
    }
}
