using System.Numerics;
using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
namespace AutoDiff.Gpu.Tests;

using Quotient = Binary<DivOperator, Binary<SubOperator, Arg<Slots.S0>, Arg<Slots.S1>>, Arg<Slots.S1>>;
using RowQuotient = Binary<DivOperator, Binary<SubOperator, Arg<Slots.S0>, BroadcastArg<Slots.S1, Runs.Contiguous>>,
    BroadcastArg<Slots.S1, Runs.Contiguous>>;

/// <summary>
/// Fused launches over whole packs, their tails and unaligned views, in one layout and element type: the GPU layout
/// loads the inputs read whole a pack at a time where they and y are 16-byte aligned, else an element at a time.
/// Either way <c>(a − b)/b</c> equals the host's values bit for bit, with y as one of its inputs too, beside a
/// broadcast row, and inside a reduction.
/// </summary>
public abstract class KernelFusedPacksTests<T>(KernelDeviceFixture fixture, KernelStyle style)
    : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static T Divided(T a, T b) => (a - b) / b;

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 0)]
    [InlineData(4, 0)]
    [InlineData(5, 1)]
    [InlineData(8, 0)]
    [InlineData(8, 1)]
    [InlineData(63, 0)]
    [InlineData(1027, 0)]
    [InlineData(1027, 1)]
    public void Whole_inputs_give_the_host_values_at_any_length_and_offset(int length, int offset)
    {
        var (a, b) = (Values(length + offset, 1), Values(length + offset, 2));
        using var ba = Accelerator.Upload(a);
        using var bb = Accelerator.Upload(b);
        using var by = Accelerator.Allocate1D<T>(length + offset);
        var (va, vb) = (ba.View.SubView(offset, length), bb.View.SubView(offset, length));
        var vy = by.View.SubView(offset, length);
        AssertAligned(by.View);
        var expr = default(Quotient);
        Kernels.Fused<T, Quotient>([va, vb], vy, expr);
        var y = by.Download();
        for (int i = 0; i < length; i++)
            AssertSame(Divided(a[offset + i], b[offset + i]), y[offset + i], $"element {i} of {length} at {offset}");

        // y as input 0: every thread stores only what it has loaded.
        Kernels.Fused<T, Quotient>([va, vb], va, expr);
        var inPlace = ba.Download();
        for (int i = 0; i < length; i++)
            AssertSame(y[offset + i], inPlace[offset + i], $"in place, element {i} of {length} at {offset}");
    }

    [Theory]
    [InlineData(7, 3, 0)]
    [InlineData(7, 5, 1)]
    [InlineData(64, 8, 0)]
    [InlineData(33, 4, 3)]
    public void A_broadcast_row_beside_whole_packs_gives_the_host_values(int rows, int columns, int offset)
    {
        int length = rows * columns;
        var (x, row) = (Values(length + offset, 3), Values(columns, 4));
        using var bx = Accelerator.Upload(x);
        using var br = Accelerator.Upload(row);
        using var by = Accelerator.Allocate1D<T>(length);
        Assert.True(BroadcastIndex.TryCreate([rows, columns], [0, 1], out var index));
        var expr = default(RowQuotient);
        Kernels.Fused<T, RowQuotient>([bx.View.SubView(offset, length), br.View], [default, index], by.View, expr);
        var y = by.Download();
        for (int i = 0; i < length; i++)
        {
            var expected = Divided(x[offset + i], row[i % columns]);
            AssertSame(expected, y[i], $"element {i} of ({rows}, {columns}) at {offset}");
        }
    }

    [Theory]
    [InlineData(3, 8, 0)]
    [InlineData(3, 8, 1)]
    [InlineData(5, 12, 2)]
    public void A_fused_reduction_reads_unaligned_inputs_as_aligned_ones(int rows, int columns, int offset)
    {
        int length = rows * columns;
        var (a, b) = (Values(length + offset, 5), Values(length + offset, 6));
        using var ba = Accelerator.Upload(a);
        using var bb = Accelerator.Upload(b);
        using var sums = Accelerator.Allocate1D<T>(rows);
        var expr = default(Quotient);
        var (va, vb) = (ba.View.SubView(offset, length), bb.View.SubView(offset, length));
        Kernels.FusedReduce<T, Quotient, SumReduction, IdentityOperator>(
            [va, vb], [], sums.View, rows, columns, 1, expr, default);
        using var written = Accelerator.Allocate1D<T>(length);
        using var expected = Accelerator.Allocate1D<T>(rows);
        Kernels.Fused<T, Quotient>([va, vb], written.View, expr);
        Kernels.Reduce<T, SumReduction>(written.View, expected.View, rows, columns, 1);
        var (fused, eager) = (sums.Download(), expected.Download());
        for (int r = 0; r < rows; r++)
            AssertSame(eager[r], fused[r], $"row {r} of ({rows}, {columns}) at {offset}");
    }

    private static T[] Values(int n, int seed)
    {
        // No zeros among the divisors, no specials: every quotient is finite and exactly rounded everywhere.
        var values = KernelHost.Values<T>(n, seed, scale: 4, specials: false);
        return Array.ConvertAll(values, v => T.Abs(v) + T.One);
    }

    /// <summary>The buffers start 16-byte aligned, so offset 0 takes the packed path and offset 1 the other.</summary>
    private static void AssertAligned(ArrayView<T> view) =>
        Assert.Equal(0, view.LoadEffectiveAddressAsPtr().ToInt64() % 16);

    private static void AssertSame(T expected, T actual, string what) =>
        Assert.True(expected.Equals(actual), $"{what}: {actual}, expected {expected}");
}

public sealed class KernelFusedPacksTestsChunkedFloat(KernelFixture fixture)
    : KernelFusedPacksTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelFusedPacksTestsChunkedDouble(KernelFixture fixture)
    : KernelFusedPacksTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelFusedPacksTestsPackedFloat(KernelFixture fixture)
    : KernelFusedPacksTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelFusedPacksTestsPackedDouble(KernelFixture fixture)
    : KernelFusedPacksTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelFusedPacksTestsCudaFloat(CudaKernelFixture fixture)
    : KernelFusedPacksTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelFusedPacksTestsCudaDouble(CudaKernelFixture fixture)
    : KernelFusedPacksTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

