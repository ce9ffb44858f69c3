using System.Numerics;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

// The reduction family, and the scratch buffer its two-pass launches share.
public sealed unsafe partial class KernelLibrary
{
    private readonly Lock scratchGate = new();
    private MemoryBuffer1D<byte, Stride1D.Dense>? scratch;

    /// <summary>
    /// When positive, the parallelism the reduction planner aims for instead of the accelerator's (groups of a
    /// wave, resident threads, or CPU threads): tests force the two-pass paths on the CPU accelerator with it.
    /// </summary>
    internal long ReduceParallelism { get; set; }

    /// <summary>
    /// Launches <c>y[o, r] = ⊕ x[o, j, r]</c> over j &lt; n for a contiguous x viewed as (outer, n, inner) and a
    /// contiguous y of outer·inner elements: the last axis (inner = 1), the first axis (outer = 1), any middle
    /// axis, and all elements (outer = inner = 1). Deterministic. Over no elements (n = 0) the result is
    /// TReduce's identity.
    /// </summary>
    public void Reduce<T, TReduce>(ArrayView<T> x, ArrayView<T> y, long outer, long n, long inner)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction =>
        Reduce<T, TReduce, IdentityOperator>(x, y, outer, n, inner, default);

    /// <summary>As <see cref="Reduce{T, TReduce}"/>, with <c>y = post(⊕ x)</c>: a mean is a sum with <c>post = x·(1/n)</c>.</summary>
    public void Reduce<T, TReduce, TPost>(ArrayView<T> x, ArrayView<T> y, long outer, long n, long inner, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        if (x.Length < outer * n * inner)
            throw new ArgumentException($"x has {x.Length} elements; a ({outer}, {n}, {inner}) view needs {outer * n * inner}", nameof(x));
        CheckLength(y, outer * inner, nameof(y));
        Enter();
        if (y.Length == 0)
            return;
        Reduce<T, ViewInput<T>, TReduce, TPost>(new(x), y, outer, n, inner, post);
    }

    /// <summary>The reduction of a checked (outer, n, inner) view of x into y (not empty): one or two passes.</summary>
    private void Reduce<T, TInput, TReduce, TPost>(
        in TInput x, ArrayView<T> y, long outer, long n, long inner, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TInput : struct, IReduceInput<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        if (n == 0)
        {
            // Nothing to read: every result is post(identity).
            FillAndMap(y, TReduce.Identity<T>(), post);
            return;
        }
        if (inner == 1)
            ReduceRows<T, TInput, TReduce, TPost>(x, y, outer, n, post);
        else
            ReduceColumns<T, TInput, TReduce, TPost>(x, y, outer, n, inner, post);
    }

    private void ReduceRows<T, TInput, TReduce, TPost>(in TInput x, ArrayView<T> y, long rows, long n, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TInput : struct, IReduceInput<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        // Split each row into segments when the rows alone cannot keep the accelerator busy.
        var (segments, group) = backend.RowSegments(rows, n);
        // Segments are whole packs of either element type (4 elements).
        long segment = Ceiling(Ceiling(n, Math.Max(1, segments)), 4) * 4;
        segments = Ceiling(n, segment);
        if (segments == 1)
        {
            x.Rows<TReduce, TPost>(backend, y, rows, n, n, 1, group, post);
            return;
        }
        lock (scratchGate)
        {
            var partial = Scratch<T>(rows * segments);
            x.Rows<TReduce, IdentityOperator>(backend, partial, rows, n, segment, segments, group, default);
            backend.ReduceRows<T, TReduce, TPost>(partial, y, rows, segments, segments, 1,
                LaunchPlan.PowerOfTwoGroup(accelerator, (int)Math.Clamp(CeilingPowerOfTwo(segments), 1, ReduceKernels.MaxGroup)), post);
        }
    }

    private void ReduceColumns<T, TInput, TReduce, TPost>(
        in TInput x, ArrayView<T> y, long outer, long n, long inner, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TInput : struct, IReduceInput<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        var (segments, minimum) = backend.ColumnSegments(outer, n, inner);
        segments = Math.Max(1, Math.Min(segments, Ceiling(n, minimum)));
        long segment = Ceiling(n, segments);
        segments = Ceiling(n, segment);
        if (segments == 1)
        {
            x.Columns<TReduce, TPost>(backend, y, outer, n, inner, n, 1, post);
            return;
        }
        lock (scratchGate)
        {
            var partial = Scratch<T>(outer * segments * inner);
            x.Columns<TReduce, IdentityOperator>(backend, partial, outer, n, inner, segment, segments, default);
            backend.ReduceColumns<T, TReduce, TPost>(partial, y, outer, segments, inner, segments, 1, post);
        }
    }

    private void FillAndMap<T, TPost>(ArrayView<T> y, T value, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPost : struct, IUnaryOperator
    {
        if (y.Length == 0)
            return;
        backend.Fill(y, value);
        backend.Map(y, y, post);
    }

    /// <summary>
    /// The first <paramref name="count"/> elements of the library's scratch buffer, grown as needed. Callers hold
    /// <see cref="scratchGate"/> from the first launch that writes it to the last that reads it: launches are
    /// in order on one stream, so holding it while enqueueing keeps two users' passes from interleaving.
    /// </summary>
    private ArrayView<T> Scratch<T>(long count)
        where T : unmanaged
    {
        long bytes = count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (scratch is null || scratch.Length < bytes)
        {
            if (scratch is not null)
            {
                // Kernels still in flight may read the old buffer.
                accelerator.Synchronize();
                scratch.Dispose();
            }
            scratch = accelerator.Allocate1D<byte>(Math.Max(bytes, Math.Max(1 << 20, (scratch?.Length ?? 0) * 2)));
        }
        ArrayView<byte> view = scratch.View;
        return view.SubView(0, bytes).Cast<T>();
    }

    private void ReleaseResources()
    {
        lock (scratchGate)
        {
            scratch?.Dispose();
            scratch = null;
        }
        ReleaseCuBlas();
    }

    private static long Ceiling(long a, long b) => (a + b - 1) / b;

    private static long CeilingPowerOfTwo(long value) => value <= 1 ? 1 : 1L << (int)(64 - long.LeadingZeroCount(value - 1));

    private readonly struct RowsLaunch<T, TReduce, TPost>(
        ArrayView<T> x, ArrayView<T> y, long rows, long n, long segment, long segments, KernelConfig config, TPost post) : IPackedLaunch
        where T : unmanaged
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            library.Kernel<ArrayView<TPack>, ArrayView<TElem>, long, long, long, long, TPost>(ReduceKernels.ReduceRowsPacked<TElem, TPack, TReduce, TPost>)(
                config, x.SubView(0, rows * n).Cast<TPack>(), y.Cast<TElem>(), rows, n, segment, segments, post);
        }
    }

    private readonly struct ColumnsLaunch<T, TReduce, TPost>(
        ArrayView<T> x, ArrayView<T> y, long outer, long n, long inner, long segment, long segments, TPost post) : IPackedLaunch
        where T : unmanaged
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        public void Run<TElem, TPack>(KernelLibrary library)
            where TElem : unmanaged, IFloatingPointIeee754<TElem>
            where TPack : unmanaged, IPack<TPack, TElem>
        {
            var target = y.SubView(0, outer * segments * inner).Cast<TPack>();
            library.Kernel<ArrayView<TPack>, ArrayView<TPack>, long, long, long, long, long, TPost>(ReduceKernels.ReduceColumnsPacked<TElem, TPack, TReduce, TPost>)(
                library.GridStride(target.Length), x.SubView(0, outer * n * inner).Cast<TPack>(), target, outer, n, inner, segment, segments, post);
        }
    }
}
