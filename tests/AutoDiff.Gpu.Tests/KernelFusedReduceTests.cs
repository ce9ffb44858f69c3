using System.Numerics;
using System.Reflection;
using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Fused reductions in one layout and element type: the sum, mean and max of <c>(a − b)²</c>, b read whole, as a
/// broadcast row or as a broadcast column, evaluated inside the reduction, equal the reduction of the written
/// expression bit for bit on the CPU accelerator, over every axis and with the two-pass split. Bad input is an error.
/// </summary>
public abstract class KernelFusedReduceTests<T>(KernelDeviceFixture fixture, KernelStyle style)
    : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly MethodInfo CompareMethod = typeof(KernelFusedReduceTests<T>).GetMethod(
        nameof(Compare), BindingFlags.NonPublic | BindingFlags.Instance)!;

    [Theory]
    [MemberData(nameof(KernelCases.ReduceShapes), MemberType = typeof(KernelCases))]
    public void A_fused_reduction_gives_the_reduction_of_the_written_expression(
        long outer, long n, long inner, int parallelism)
    {
        int[] shape = [(int)outer, (int)n, (int)inner];
        int length = KernelHost.Count(shape);
        // b whole, a row of inner values (contiguous runs) and a column of outer·n values (a value repeated).
        int[][] operands = length == 0 ? [shape] : [shape, [1, 1, (int)inner], [(int)outer, (int)n, 1]];
        var kernels = Kernels;
        kernels.ReduceParallelism = parallelism;
        try
        {
            foreach (int[] operand in operands)
            {
                long[] strides = KernelHost.BroadcastStrides(operand, shape);
                var leaf = KernelFusedBroadcastTests<T>.Leaf(1, operand, shape, strides)
                    ?? throw new InvalidOperationException($"no index for {string.Join("x", operand)}");
                var difference = typeof(Binary<,,>).MakeGenericType(
                    typeof(SubOperator), typeof(Arg<Slots.S0>), leaf.Type);
                var square = typeof(Binary<,,>).MakeGenericType(typeof(MulOperator), difference, difference);
                var a = KernelHost.Values<T>(length, seed: 7, scale: 2, specials: false);
                var b = KernelHost.Values<T>(KernelHost.Count(operand), seed: 8, scale: 2, specials: false);
                string where = $"({outer}, {n}, {inner}), b {string.Join("x", operand)}, parallelism {parallelism}";
                CompareMethod.MakeGenericMethod(square).Invoke(this, [a, b, leaf.Index, outer, n, inner, where]);
            }
        }
        finally
        {
            kernels.ReduceParallelism = 0;
        }
    }

    [Fact]
    public void An_input_of_the_wrong_length_is_an_error_that_names_it()
    {
        using var a = Accelerator.Upload(KernelHost.Values<T>(12, seed: 1));
        using var y = Accelerator.Allocate1D<T>(3);
        void Sum(ArrayView<T> b, long outer, long n) =>
            Kernels.FusedReduce<T, Binary<MulOperator, Arg<Slots.S0>, Arg<Slots.S1>>, SumReduction,
                IdentityOperator>(
                [a.View, b], [], y.View, outer, n, 1, default, default);
        var e = Assert.Throws<ArgumentException>(() => Sum(a.View.SubView(0, 11), 3, 4));
        Assert.Contains("input 1 has 11 elements where 12 are needed", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Sum(a.View, 4, 3));
        Assert.Contains("y has 3 elements where 4 are needed", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Sum, mean and max of TExpr(a, b) fused, against the reduction of the written expression.</summary>
    private void Compare<TExpr>(T[] a, T[] b, BroadcastIndex? index, long outer, long n, long inner, string where)
        where TExpr : struct, IExpression
    {
        long length = outer * n * inner;
        using var ba = Accelerator.Upload(a.Length > 0 ? a : [T.Zero]);
        using var bb = Accelerator.Upload(b.Length > 0 ? b : [T.Zero]);
        using var written = Accelerator.Allocate1D<T>(Math.Max(1, length));
        using var eager = Accelerator.Allocate1D<T>(outer * inner);
        using var fused = Accelerator.Allocate1D<T>(outer * inner);
        ArrayView<T>[] inputs = [ba.View.SubView(0, a.Length), bb.View.SubView(0, b.Length)];
        BroadcastIndex[] indices = [default, index ?? default];
        var x = written.View.SubView(0, length);
        var expr = default(TExpr);
        Kernels.Fused(inputs, indices, x, expr);
        var scale = new ScaleOperator(1.0 / Math.Max(1, n));
        Kernels.Reduce<T, SumReduction>(x, eager.View, outer, n, inner);
        Kernels.FusedReduce<T, TExpr, SumReduction, IdentityOperator>(
            inputs, indices, fused.View, outer, n, inner, expr, default);
        AssertSame(eager.Download(), fused.Download(), $"sum {where}");
        Kernels.Reduce<T, SumReduction, ScaleOperator>(x, eager.View, outer, n, inner, scale);
        Kernels.FusedReduce<T, TExpr, SumReduction, ScaleOperator>(
            inputs, indices, fused.View, outer, n, inner, expr, scale);
        AssertSame(eager.Download(), fused.Download(), $"mean {where}");
        Kernels.Reduce<T, MaxReduction>(x, eager.View, outer, n, inner);
        Kernels.FusedReduce<T, TExpr, MaxReduction, IdentityOperator>(
            inputs, indices, fused.View, outer, n, inner, expr, default);
        AssertSame(eager.Download(), fused.Download(), $"max {where}");
    }

    /// <summary>Bit for bit on the CPU accelerator; on GPUs a fused multiply-add may round once, not twice.</summary>
    private void AssertSame(T[] expected, T[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        bool cpu = Accelerator.AcceleratorType == AcceleratorType.CPU;
        for (int i = 0; i < expected.Length; i++)
            KernelHost.AssertSameOnCpu(expected[i], actual[i], cpu, $"{what}, element {i}");
    }
}

public sealed class KernelFusedReduceTestsChunkedFloat(KernelFixture fixture)
    : KernelFusedReduceTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelFusedReduceTestsChunkedDouble(KernelFixture fixture)
    : KernelFusedReduceTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelFusedReduceTestsPackedFloat(KernelFixture fixture)
    : KernelFusedReduceTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelFusedReduceTestsPackedDouble(KernelFixture fixture)
    : KernelFusedReduceTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelFusedReduceTestsCudaFloat(CudaKernelFixture fixture)
    : KernelFusedReduceTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelFusedReduceTestsCudaDouble(CudaKernelFixture fixture)
    : KernelFusedReduceTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
