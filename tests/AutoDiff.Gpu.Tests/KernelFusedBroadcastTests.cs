using System.Numerics;
using System.Reflection;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using AutoDiff.Gpu.Functions;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Fused expressions over broadcast inputs, in one layout and element type: the broadcast index finds NumPy's element
/// for every pattern of the broadcasting table, and <c>(a − b)/b</c> fused over any mix of whole, contiguous-run and
/// repeated-value inputs equals the same operations on the host, bit for bit. A bad index is a clear error.
/// </summary>
public abstract class KernelFusedBroadcastTests<T>(KernelDeviceFixture fixture, KernelStyle style)
    : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly MethodInfo RunMethod =
        typeof(KernelFusedBroadcastTests<T>).GetMethod(nameof(Run), BindingFlags.NonPublic | BindingFlags.Instance)!;

    [Theory]
    [MemberData(nameof(KernelCases.Broadcasts), MemberType = typeof(KernelCases))]
    public void Broadcast_indices_read_what_numpy_reads(int[] shapeA, int[] shapeB)
    {
        int[] shape = KernelHost.BroadcastShape(shapeA, shapeB);
        foreach (int[] operand in new[] { shapeA, shapeB })
        {
            long[] strides = KernelHost.BroadcastStrides(operand, shape);
            if (!BroadcastIndex.TryCreate(shape, strides, out var index))
            {
                // Read whole, or more dimensions broadcast in turn than an index holds.
                bool whole = KernelHost.Count(operand) == KernelHost.Count(shape);
                Assert.True(whole || Alternations(strides, shape) > BroadcastIndex.MaxTerms);
                continue;
            }
            var offsets = KernelHost.Offsets(shape, strides);
            for (int i = 0; i < offsets.Length; i++)
                Assert.Equal(offsets[i], index.Offset(i));
            Assert.Equal(KernelHost.Count(operand) - 1, index.MaxOffset(offsets.Length));
        }
    }

    [Theory]
    [MemberData(nameof(KernelCases.Broadcasts), MemberType = typeof(KernelCases))]
    public void Fused_broadcasts_give_the_host_operations_bit_for_bit(int[] shapeA, int[] shapeB)
    {
        int[] shape = KernelHost.BroadcastShape(shapeA, shapeB);
        var a = KernelHost.Values<T>(KernelHost.Count(shapeA), seed: 3);
        var b = KernelHost.Values<T>(KernelHost.Count(shapeB), seed: 4);
        long[] sa = KernelHost.BroadcastStrides(shapeA, shape), sb = KernelHost.BroadcastStrides(shapeB, shape);
        if (Leaf(0, shapeA, shape, sa) is not { } ta || Leaf(1, shapeB, shape, sb) is not { } tb)
            return; // past the terms an index holds: the engine does not fuse it
        var expected = new T[KernelHost.Count(shape)];
        long[] oa = KernelHost.Offsets(shape, sa), ob = KernelHost.Offsets(shape, sb);
        for (int i = 0; i < expected.Length; i++)
            expected[i] = (a[oa[i]] - b[ob[i]]) / b[ob[i]];
        var expression = typeof(Binary<,,>).MakeGenericType(
            typeof(DivOperator), typeof(Binary<,,>).MakeGenericType(typeof(SubOperator), ta.Type, tb.Type), tb.Type);
        var run = RunMethod.MakeGenericMethod(expression);
        var actual = (T[])run.Invoke(this, [a, ta.Index, b, tb.Index, expected.Length])!;
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = expected[i].Equals(actual[i]) || (T.IsNaN(expected[i]) && T.IsNaN(actual[i]));
            Assert.True(same, $"element {i}: {actual[i]}, host {expected[i]}");
        }
    }

    [Fact]
    public void A_bad_broadcast_index_is_an_error_that_names_the_input()
    {
        using var x = Accelerator.Upload(KernelHost.Values<T>(12, seed: 1, specials: false));
        using var row = Accelerator.Upload(KernelHost.Values<T>(3, seed: 2, specials: false));
        using var y = Accelerator.Allocate1D<T>(12);
        Assert.True(BroadcastIndex.TryCreate([4, 3], [0, 1], out var index));
        var expr = default(Binary<PlusOperator, Arg<Slots.S0>, BroadcastArg<Slots.S1, Runs.Contiguous>>);
        var e = Assert.Throws<ArgumentException>(
            () => Fused([x.View, row.View.SubView(0, 2)], [default, index], y.View, expr));
        Assert.Contains("input 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(
            () => Fused([x.View, row.View], [default, index with { Step = 0 }], y.View, expr));
        Assert.Contains("step", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(
            () => Fused([x.View, row.View], [default, index with { M0 = 0 }], y.View, expr));
        Assert.Contains("M0 = 0", e.Message, StringComparison.Ordinal);
        Fused([x.View, row.View], [default, index], y.View, expr);
        var (xs, rs, ys) = (x.Download(), row.Download(), y.Download());
        Assert.All(Enumerable.Range(0, 12), i => Assert.Equal(xs[i] + rs[i % 3], ys[i]));
    }

    /// <summary>Launches TExpr over inputs a (slot 0) and b (slot 1) with their indices; y's values.</summary>
    private T[] Run<TExpr>(T[] a, BroadcastIndex? ia, T[] b, BroadcastIndex? ib, int count)
        where TExpr : struct, IExpression
    {
        using var ba = Accelerator.Upload(a);
        using var bb = Accelerator.Upload(b);
        using var by = Accelerator.Allocate1D<T>(count);
        Fused([ba.View, bb.View], [ia ?? default, ib ?? default], by.View, default(TExpr));
        return by.Download();
    }

    private void Fused<TExpr>(
        ReadOnlySpan<ArrayView<T>> inputs, ReadOnlySpan<BroadcastIndex> indices, ArrayView<T> y, TExpr expr)
        where TExpr : struct, IExpression =>
        Kernels.Fused(inputs, indices, y, expr);

    /// <summary>The leaf type of an operand in slot k and its index (none: read whole); null past the terms.</summary>
    internal static (Type Type, BroadcastIndex? Index)? Leaf(int k, int[] operand, int[] shape, long[] strides)
    {
        var slot = Slots.Types[k];
        if (KernelHost.Count(operand) == KernelHost.Count(shape))
            return (typeof(Arg<>).MakeGenericType(slot), null);
        if (!BroadcastIndex.TryCreate(shape, strides, out var index))
            return null;
        var run = index.Step == 0 ? typeof(Runs.Repeated) : typeof(Runs.Contiguous);
        return (typeof(BroadcastArg<,>).MakeGenericType(slot, run), index);
    }

    /// <summary>Runs of non-zero strides among the dimensions larger than 1: the terms an index needs.</summary>
    private static int Alternations(long[] strides, int[] shape)
    {
        int runs = 0;
        bool inRun = false;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1)
                continue;
            if (strides[d] != 0 && !inRun)
                runs++;
            inRun = strides[d] != 0;
        }
        return runs;
    }
}

public sealed class KernelFusedBroadcastTestsChunkedFloat(KernelFixture fixture)
    : KernelFusedBroadcastTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelFusedBroadcastTestsChunkedDouble(KernelFixture fixture)
    : KernelFusedBroadcastTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelFusedBroadcastTestsPackedFloat(KernelFixture fixture)
    : KernelFusedBroadcastTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelFusedBroadcastTestsPackedDouble(KernelFixture fixture)
    : KernelFusedBroadcastTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelFusedBroadcastTestsCudaFloat(CudaKernelFixture fixture)
    : KernelFusedBroadcastTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelFusedBroadcastTestsCudaDouble(CudaKernelFixture fixture)
    : KernelFusedBroadcastTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
