using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

// The fused elementwise family: one launcher for any expression of up to eight inputs, each read whole or broadcast.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Launches <c>y[i] = expr(x₀[i], …, x₇[i])</c>; every input has y's length (y may be an input). The expression's
    /// type is its shape: each shape compiles once per accelerator (GPUs) or is specialised once by the JIT (CPU).
    /// </summary>
    public void Fused<T, TExpr>(ReadOnlySpan<ArrayView<T>> inputs, ArrayView<T> y, TExpr expr)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression =>
        Fused(inputs, [], y, expr);

    /// <summary>
    /// Launches <c>y[i] = expr(x₀[B₀(i)], …, x₇[B₇(i)])</c>: a slot the expression reads through its broadcast index
    /// (<see cref="IExpression.Broadcast"/>) reads <c>xₖ[indices[k].Offset(i)]</c>, the others <c>xₖ[i]</c> (y's
    /// length; y may be one of them). <paramref name="indices"/> is empty or one per input.
    /// </summary>
    public void Fused<T, TExpr>(
        ReadOnlySpan<ArrayView<T>> inputs, ReadOnlySpan<BroadcastIndex> indices, ArrayView<T> y, TExpr expr)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
    {
        var slots = CheckSlots<T, TExpr>(inputs, indices, y.Length);
        Enter();
        if (y.Length == 0)
            return;
        backend.Fused(SlotsOf(inputs, y), slots, y, expr);
    }

    /// <summary>
    /// Checks a fused launch's inputs against the expression for an expression of <paramref name="length"/>
    /// elements; returns the slots' broadcast indices.
    /// </summary>
    private static Operands<BroadcastIndex> CheckSlots<T, TExpr>(
        ReadOnlySpan<ArrayView<T>> inputs, ReadOnlySpan<BroadcastIndex> indices, long length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TExpr : struct, IExpression
    {
        // Read first here, so that the CPU body's JIT finds the expression's constants initialized.
        int reads = ExpressionConstants<TExpr>.Inputs, broadcast = ExpressionConstants<TExpr>.Broadcast;
        if (inputs.Length < reads || inputs.Length > Operands<T>.Count)
        {
            throw new ArgumentException(
                $"the expression reads {reads} inputs; {inputs.Length} were given (at most {Operands<T>.Count})",
                nameof(inputs));
        }
        if (!indices.IsEmpty && indices.Length != inputs.Length)
        {
            throw new ArgumentException(
                $"{indices.Length} broadcast indices for {inputs.Length} inputs: give one per input, or none",
                nameof(indices));
        }
        var slots = default(Operands<BroadcastIndex>);
        for (int k = 0; k < inputs.Length; k++)
        {
            if ((broadcast & (1 << k)) == 0)
            {
                if (inputs[k].Length != length)
                {
                    throw new ArgumentException(
                        $"input {k} has {inputs[k].Length} elements where {length} are needed", nameof(inputs));
                }
                continue;
            }
            var index = indices.IsEmpty ? default : indices[k];
            int step = (ExpressionConstants<TExpr>.Repeated & (1 << k)) == 0 ? 1 : 0;
            if (index.Step != step || !index.IsWellFormed)
            {
                throw new ArgumentException(
                    $"input {k} is read broadcast with step {step}; its index is not one: {index}", nameof(indices));
            }
            if (index.MaxOffset(length) >= inputs[k].Length)
            {
                throw new ArgumentException(
                    $"input {k}: its broadcast index reads element {index.MaxOffset(length)} of {inputs[k].Length}",
                    nameof(inputs));
            }
            slots.Set(k, index);
        }
        return slots;
    }

    /// <summary>The eight slots' views: the inputs, then <paramref name="unused"/> (a valid view never read).</summary>
    private static SlotViews<T> SlotsOf<T>(ReadOnlySpan<ArrayView<T>> inputs, ArrayView<T> unused)
        where T : unmanaged
    {
        var x = default(SlotViews<T>);
        for (int k = 0; k < Operands<T>.Count; k++)
            x[k] = k < inputs.Length ? inputs[k] : unused;
        return x;
    }

    /// <summary>Whether y and the slots the expression reads whole are 16-byte aligned (others are gathered).</summary>
    private static bool WholeAligned<T, TExpr>(in SlotViews<T> x, ArrayView<T> y)
        where T : unmanaged
        where TExpr : struct, IExpression
    {
        long addresses = Address(y);
        for (int k = 0; k < ExpressionConstants<TExpr>.Inputs; k++)
        {
            if ((ExpressionConstants<TExpr>.Broadcast & (1 << k)) == 0)
                addresses |= Address(x[k]);
        }
        return (addresses & (PackBytes - 1)) == 0;
    }

    /// <summary>The packed fused kernel, with the pack type the views allow.</summary>
    private readonly struct FusedLaunch<T, TExpr>(
        SlotViews<T> x, Operands<BroadcastIndex> indices, ArrayView<T> y, TExpr expr) : IPackedLaunch
        where T : unmanaged
        where TExpr : struct, IExpression
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var v = Cast<T, TElem>(x);
            library.Kernel<
                ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>,
                ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, ArrayView<TElem>, Operands<BroadcastIndex>,
                TExpr>(FusedKernels.Run<TElem, TPack, TExpr>)(
                library.GridStride(y.Length / TPack.Lanes), y.Cast<TElem>(), v[0], v[1], v[2], v[3], v[4], v[5], v[6],
                v[7], indices, expr);
        }
    }

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>
        Kernel<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(
            Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> method)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
        where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>)Cached(
            method, static (a, m) => a.LoadStreamKernel((Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>)m));
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
/// bits as its scalar form, which takes the rest), each input loaded once per element. Broadcast inputs split the
/// chunk into runs along which each one's offset steps by 1 or stays (a value repeated). Where
/// <paramref name="bypass"/>, aligned runs store past the caches (<see cref="NonTemporal"/>).
/// </summary>
internal readonly unsafe struct FusedBody<T, TExpr>(
    Address<T> y, Operands<Address<T>> x, Operands<BroadcastIndex> indices, TExpr expr, bool bypass = false)
    : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TExpr : struct, IExpression
{
    // Fully optimized at once, as the other CPU bodies: tier-0 code would call Span once per run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(long start, long count)
    {
        Write((T*)y + start, start, count, bypass);
        if (bypass)
            NonTemporal.Fence();
    }

    /// <summary>
    /// Elements [start, start + count) into <paramref name="output"/>, from its first element on; past the caches
    /// where <paramref name="stream"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Write(T* output, long start, long count, bool stream = false)
    {
        int n = ExpressionConstants<TExpr>.Inputs;
        for (long i = start, end = start + count; i < end;)
        {
            // n is a constant of the expression type: the JIT keeps the slots it reads and drops the rest.
            long run = end - i;
            T* p0 = n > 0 ? At(0, x.X0, i, ref run) : null, p1 = n > 1 ? At(1, x.X1, i, ref run) : null;
            T* p2 = n > 2 ? At(2, x.X2, i, ref run) : null, p3 = n > 3 ? At(3, x.X3, i, ref run) : null;
            T* p4 = n > 4 ? At(4, x.X4, i, ref run) : null, p5 = n > 5 ? At(5, x.X5, i, ref run) : null;
            T* p6 = n > 6 ? At(6, x.X6, i, ref run) : null, p7 = n > 7 ? At(7, x.X7, i, ref run) : null;
            T* to = output + (i - start);
            if (stream && NonTemporal.Aligned(to))
                Span<BypassStore>(to, run, p0, p1, p2, p3, p4, p5, p6, p7);
            else
                Span<CachedStore>(to, run, p0, p1, p2, p3, p4, p5, p6, p7);
            i += run;
        }
    }

    /// <summary>Slot k's first element for element i; a broadcast slot shortens the run to its own.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T* At(int k, T* p, long i, ref long run)
    {
        if ((ExpressionConstants<TExpr>.Broadcast & (1 << k)) == 0)
            return p + i;
        var index = indices.At(k);
        run = Math.Min(run, index.Run - (i % index.Run));
        return p + index.Offset(i);
    }

    /// <summary>Whether slot k holds one value along the run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Held(int k) => (ExpressionConstants<TExpr>.Repeated & (1 << k)) != 0;

    /// <summary>Elements [0, count) of a run from the slots' first elements, inlined into <see cref="Run"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Span<TStore>(T* output, long count, T* p0, T* p1, T* p2, T* p3, T* p4, T* p5, T* p6, T* p7)
        where TStore : struct, IVectorStore
    {
        var e = expr;
        int n = ExpressionConstants<TExpr>.Inputs;
        long j = 0;
        if (ExpressionConstants<TExpr>.Vectorized)
        {
            // A held slot's value is splat once; the loop loads the others.
            var v = default(Operands<Vector<T>>);
            if (n > 0 && Held(0)) v.X0 = new Vector<T>(*p0);
            if (n > 1 && Held(1)) v.X1 = new Vector<T>(*p1);
            if (n > 2 && Held(2)) v.X2 = new Vector<T>(*p2);
            if (n > 3 && Held(3)) v.X3 = new Vector<T>(*p3);
            if (n > 4 && Held(4)) v.X4 = new Vector<T>(*p4);
            if (n > 5 && Held(5)) v.X5 = new Vector<T>(*p5);
            if (n > 6 && Held(6)) v.X6 = new Vector<T>(*p6);
            if (n > 7 && Held(7)) v.X7 = new Vector<T>(*p7);
            for (int lanes = Vector<T>.Count; j + lanes <= count; j += lanes)
            {
                if (n > 0 && !Held(0)) v.X0 = Vector.Load(p0 + j);
                if (n > 1 && !Held(1)) v.X1 = Vector.Load(p1 + j);
                if (n > 2 && !Held(2)) v.X2 = Vector.Load(p2 + j);
                if (n > 3 && !Held(3)) v.X3 = Vector.Load(p3 + j);
                if (n > 4 && !Held(4)) v.X4 = Vector.Load(p4 + j);
                if (n > 5 && !Held(5)) v.X5 = Vector.Load(p5 + j);
                if (n > 6 && !Held(6)) v.X6 = Vector.Load(p6 + j);
                if (n > 7 && !Held(7)) v.X7 = Vector.Load(p7 + j);
                TStore.Store(e.ApplyVector(in v), output + j);
            }
        }
        var s = default(Operands<T>);
        for (; j < count; j++)
        {
            if (n > 0) s.X0 = p0[Held(0) ? 0 : j];
            if (n > 1) s.X1 = p1[Held(1) ? 0 : j];
            if (n > 2) s.X2 = p2[Held(2) ? 0 : j];
            if (n > 3) s.X3 = p3[Held(3) ? 0 : j];
            if (n > 4) s.X4 = p4[Held(4) ? 0 : j];
            if (n > 5) s.X5 = p5[Held(5) ? 0 : j];
            if (n > 6) s.X6 = p6[Held(6) ? 0 : j];
            if (n > 7) s.X7 = p7[Held(7) ? 0 : j];
            output[j] = e.Apply(in s);
        }
    }
}

/// <summary>
/// An expression type's constants as static readonly fields, for the CPU body: once the class is initialized (the
/// launcher reads it first), the JIT folds them at every tier, where a static abstract member may stay a call.
/// </summary>
internal static class ExpressionConstants<TExpr>
    where TExpr : struct, IExpression
{
    /// <summary><see cref="IExpression.Inputs"/>.</summary>
    public static readonly int Inputs = TExpr.Inputs;

    /// <summary><see cref="IExpression.Broadcast"/>.</summary>
    public static readonly int Broadcast = TExpr.Broadcast;

    /// <summary><see cref="IExpression.Repeated"/>.</summary>
    public static readonly int Repeated = TExpr.Repeated;

    /// <summary><see cref="IExpression.Vectorized"/>, where vectors are hardware accelerated.</summary>
    public static readonly bool Vectorized = TExpr.Vectorized && Vector.IsHardwareAccelerated;

    /// <summary>Whether a large result is bound by memory: vectorized, every operator light.</summary>
    public static readonly bool Streams = Vectorized && TExpr.Light;
}

/// <summary>The GPU layout's fused kernel (<see cref="KernelStyle.Packed"/>).</summary>
internal static class FusedKernels
{
    /// <summary>
    /// Packed grid-stride <c>y[i] = expr(x₀[B₀(i)], …, x₇[B₇(i)])</c> (see
    /// <see cref="ExpressionReader{T, TExpr}"/>), walking packs as <see cref="ElementwiseKernels.ZipPacked"/> does:
    /// <see cref="ElementwiseKernels.Unroll"/> packs a step, the loads of all of them before the first store; then
    /// the tail that fills no pack. y and the slots read whole are 16-byte aligned where <typeparamref name="TPack"/>
    /// has several lanes. y may be a slot read whole: a thread stores only packs it has loaded.
    /// </summary>
    public static void Run<T, TPack, TExpr>(
        ArrayView<T> y, ArrayView<T> x0, ArrayView<T> x1, ArrayView<T> x2, ArrayView<T> x3, ArrayView<T> x4,
        ArrayView<T> x5, ArrayView<T> x6, ArrayView<T> x7, Operands<BroadcastIndex> indices, TExpr expr)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TExpr : struct, IExpression
    {
        long first = Grid.GlobalIndex.X;
        long stride = ElementwiseKernels.GridStride();
        var reader = new ExpressionReader<T, TExpr>(x0, x1, x2, x3, x4, x5, x6, x7, indices);
        var packs = y.Cast<TPack>();
        long i = first;
        for (; i + (3 * stride) < packs.Length; i += ElementwiseKernels.Unroll * stride)
        {
            long i1 = i + stride, i2 = i1 + stride, i3 = i2 + stride;
            Operands<TPack> o0 = reader.Load<TPack>(i), o1 = reader.Load<TPack>(i1);
            Operands<TPack> o2 = reader.Load<TPack>(i2), o3 = reader.Load<TPack>(i3);
            packs[i] = TPack.Apply(ref expr, o0);
            packs[i1] = TPack.Apply(ref expr, o1);
            packs[i2] = TPack.Apply(ref expr, o2);
            packs[i3] = TPack.Apply(ref expr, o3);
        }
        for (; i < packs.Length; i += stride)
            packs[i] = TPack.Apply(ref expr, reader.Load<TPack>(i));
        for (long t = (packs.Length * TPack.Lanes) + first; t < y.Length; t += stride)
            y[t] = Single<T>.Apply(ref expr, reader.Load<Single<T>>(t)).Value;
    }
}
