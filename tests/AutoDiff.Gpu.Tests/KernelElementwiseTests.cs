using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using AutoDiff.Gpu.Functions;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The elementwise family against scalar host references, in one layout and element type: every operator
/// (transcendental ones and ones with runtime parameters) with NaN, ±∞ and ±0 among the inputs, at sizes
/// 1, 7, 1000, 6·512+7 and 40000; NumPy broadcasting of every pattern the launcher distinguishes; strided
/// copies (transposes, slices with steps, materialized broadcasts) and scatters.
/// </summary>
public abstract class KernelElementwiseTests<T>(KernelDeviceFixture fixture, KernelStyle style) : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [MemberData(nameof(KernelCases.Unary), MemberType = typeof(KernelCases))]
    public void Unary_operators_match_the_host_reference(string op, int n)
    {
        switch (op)
        {
            case "exp": CheckUnary(new ExpOperator(), Math.Exp, n); break;
            case "log": CheckUnary(new LogOperator(), Math.Log, n); break;
            case "sin": CheckUnary(new SinOperator(), Math.Sin, n); break;
            case "cos": CheckUnary(new CosOperator(), Math.Cos, n); break;
            case "tanh": CheckUnary(new TanhOperator(), Math.Tanh, n); break;
            case "sigmoid": CheckUnary(new SigmoidOperator(), v => 1 / (1 + Math.Exp(-v)), n); break;
            case "relu": CheckUnary(new ReLUOperator(), v => double.IsNaN(v) ? v : Math.Max(v, 0), n); break;
            case "neg": CheckUnary(new TestNeg(), v => -v, n); break;
            case "pow3": CheckUnary(new TestPow(3), v => Math.Pow(v, 3), n); break;
            case "sqrt-pow": CheckUnary(new TestPow(0.5), v => Math.Pow(v, 0.5), n); break;
            case "rsub": CheckUnary(new TestRsub(2.5), v => 2.5 - v, n); break;
            case "scale": CheckUnary(new ScaleOperator(-0.25), v => v * -0.25, n); break;
            case "compose": CheckUnary(new Compose<ExpOperator, ScaleOperator>(default, new ScaleOperator(0.5)), v => Math.Exp(0.5 * v), n); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    [Theory]
    [MemberData(nameof(KernelCases.Binary), MemberType = typeof(KernelCases))]
    public void Binary_operators_match_the_host_reference(string op, int n)
    {
        switch (op)
        {
            case "plus": CheckBinary(new PlusOperator(), (a, b) => a + b, n); break;
            case "sub": CheckBinary(new SubOperator(), (a, b) => a - b, n); break;
            case "mul": CheckBinary(new MulOperator(), (a, b) => a * b, n); break;
            case "div": CheckBinary(new DivOperator(), (a, b) => a / b, n); break;
            case "relu-backward": CheckBinary(new StepGradient(), (a, b) => a > 0 ? b : 0, n); break;
            case "flip-sub": CheckBinary(new Flip<SubOperator>(default), (a, b) => b - a, n); break;
            case "then-exp": CheckBinary(new Then<MulOperator, ExpOperator>(default, default), (a, b) => Math.Exp(a * b), n); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1027)]
    public void Views_that_start_off_a_pack_boundary_and_in_place_launches_are_correct(int n)
    {
        var x = KernelHost.Values<T>(n, seed: 11);
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(n);
        by.MemSetToZero();
        Kernels.Map(bx.Whole().SubView(1), by.Whole().SubView(1), new TestPow(2));
        var expected = KernelHost.AsDouble(x).Select((v, i) => i == 0 ? 0 : v * v).ToArray();
        KernelHost.AssertClose(expected, by.Download(), KernelHost.Epsilon<T>());

        Kernels.Zip(bx.Whole(), bx.Whole(), bx.Whole(), new MulOperator());
        KernelHost.AssertClose(KernelHost.AsDouble(x).Select(v => v * v).ToArray(), bx.Download(), KernelHost.Epsilon<T>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(3079)]
    [InlineData(40_000)]
    public void Fill_sets_every_element(int n)
    {
        using var y = Accelerator.Allocate1D<T>(n);
        Kernels.Fill(y.Whole(), T.CreateTruncating(-2.5));
        Assert.All(y.Download(), v => Assert.Equal(T.CreateTruncating(-2.5), v));
        if (n == 1)
            return;
        Kernels.Fill(y.Whole().SubView(1), T.NaN);
        var values = y.Download();
        Assert.Equal(T.CreateTruncating(-2.5), values[0]);
        Assert.All(values.Skip(1), v => Assert.True(T.IsNaN(v)));
    }

    [Fact]
    public void Lengths_around_whole_unrolled_steps_of_the_packed_loops_are_covered()
    {
        // The packed loops take ElementwiseKernels.Unroll packs a grid stride apart per step, then the packs
        // left over one at a time, then the tail elements: lengths one pack either side of whole steps (of the
        // grid the launcher picks for them), below one step, and with and without a tail.
        int lanes = 16 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        long wide = ElementwiseKernels.Unroll * Threads(1L << 30);
        foreach (long packs in new[] { 1, 3, wide - 1, wide, wide + 1, (2 * wide) - 1, (2 * wide) + 1 })
        {
            foreach (int tail in new[] { 0, lanes - 1 })
            {
                int n = (int)((packs * lanes) + tail);
                var a = KernelHost.Values<T>(n, seed: n);
                var b = KernelHost.Values<T>(n, seed: n + 1);
                using var ba = Accelerator.Upload(a);
                using var bb = Accelerator.Upload(b);
                using var by = Accelerator.Allocate1D<T>(n);
                var (da, db) = (KernelHost.AsDouble(a), KernelHost.AsDouble(b));
                Kernels.Zip(ba.Whole(), bb.Whole(), by.Whole(), new SubOperator());
                KernelHost.AssertClose(da.Select((v, i) => v - db[i]).ToArray(), by.Download(), KernelHost.Epsilon<T>(), what: $"a - b, {n} elements, {Threads(packs)} threads");
                Kernels.Map(ba.Whole(), ba.Whole(), new TestNeg());
                KernelHost.AssertClose(Array.ConvertAll(da, v => -v), ba.Download(), 0, what: $"-a in place, {n} elements");
                Kernels.Fill(by.Whole(), T.CreateTruncating(1.5));
                Assert.All(by.Download(), v => Assert.Equal(T.CreateTruncating(1.5), v));

                // Broadcasts of rows of three packs, the operand by column (rows) and by row (columns).
                if (packs < 3)
                    continue;
                int rows = (int)(packs / 3), columns = 3 * lanes;
                int[] shape = [rows, columns];
                Kernels.Zip(shape, ba.Whole().SubView(0, rows * columns), new Strided<T>(bb.Whole(), [0, 1]), by.Whole().SubView(0, rows * columns), new SubOperator());
                KernelHost.AssertClose(Enumerable.Range(0, rows * columns).Select(i => -da[i] - db[i % columns]).ToArray(), by.Download()[..(rows * columns)], KernelHost.Epsilon<T>(), what: $"rows, {rows}×{columns}");
                Kernels.Zip(shape, ba.Whole().SubView(0, rows * columns), new Strided<T>(bb.Whole(), [1, 0]), by.Whole().SubView(0, rows * columns), new SubOperator());
                KernelHost.AssertClose(Enumerable.Range(0, rows * columns).Select(i => -da[i] - db[i / columns]).ToArray(), by.Download()[..(rows * columns)], KernelHost.Epsilon<T>(), what: $"columns, {rows}×{columns}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelCases.Broadcasts), MemberType = typeof(KernelCases))]
    public void Broadcasting_binary_operators_match_numpy(int[] shapeA, int[] shapeB)
    {
        int[] shape = KernelHost.BroadcastShape(shapeA, shapeB);
        var a = KernelHost.Values<T>(KernelHost.Count(shapeA), seed: 3);
        var b = KernelHost.Values<T>(KernelHost.Count(shapeB), seed: 4);
        long[] sa = KernelHost.BroadcastStrides(shapeA, shape), sb = KernelHost.BroadcastStrides(shapeB, shape);
        using var ba = Accelerator.Upload(a);
        using var bb = Accelerator.Upload(b);
        using var by = Accelerator.Allocate1D<T>(KernelHost.Count(shape));

        // Subtraction and division: a swapped operand would show.
        Kernels.Zip(shape, new Strided<T>(ba.Whole(), sa), new Strided<T>(bb.Whole(), sb), by.Whole(), new SubOperator());
        KernelHost.AssertClose(Reference(shape, a, sa, b, sb, (x, y) => x - y), by.Download(), KernelHost.Epsilon<T>(), what: "a - b");
        Kernels.Zip(shape, new Strided<T>(ba.Whole(), sa), new Strided<T>(bb.Whole(), sb), by.Whole(), new DivOperator());
        KernelHost.AssertClose(Reference(shape, a, sa, b, sb, (x, y) => x / y), by.Download(), KernelHost.Epsilon<T>(), what: "a / b");
    }

    [Theory]
    [InlineData(new[] { 7, 13 }, new[] { 1, 0 })]
    [InlineData(new[] { 3, 4, 5 }, new[] { 2, 0, 1 })]
    [InlineData(new[] { 3, 4, 5 }, new[] { 1, 2, 0 })]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 3, 1, 2, 0 })]
    [InlineData(new[] { 64, 600 }, new[] { 1, 0 })]
    [InlineData(new[] { 3, 40, 50 }, new[] { 0, 2, 1 })]
    [InlineData(new[] { 33, 2, 70 }, new[] { 1, 2, 0 })]
    [InlineData(new[] { 2, 3, 2, 3, 2, 3, 2, 3, 2, 3 }, new[] { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 })]
    [InlineData(new[] { 3, 1, 2, 4, 2, 1, 2, 3, 2, 2, 2 }, new[] { 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 10 })]
    public void Transposes_with_any_axes_order_copy_and_map(int[] shapeX, int[] axes) =>
        AssertTransposes(Kernels, shapeX, axes, map: true);

    [Fact]
    public void Slices_with_steps_gather_and_their_adjoint_scatters_back()
    {
        // x is 10×12; x[1:9:2, ::3] is 4×4 at offset 12 with strides (24, 3).
        int[] shape = [4, 4];
        long[] strides = [24, 3];
        var x = KernelHost.Values<T>(120, seed: 6);
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(16);
        var slice = new Strided<T>(bx.Whole().SubView(12), strides);

        Kernels.Copy(shape, slice, by.Whole());
        var expected = Gather(x[12..], shape, strides, v => v);
        KernelHost.AssertClose(expected, by.Download(), 0);

        // Assign: gx = zeros(10, 12); gx[1:9:2, ::3] = y.
        using var gx = Accelerator.Allocate1D<T>(120);
        gx.MemSetToZero();
        Kernels.Copy(shape, by.Whole(), new Strided<T>(gx.Whole().SubView(12), strides));
        var scattered = new double[120];
        var offsets = KernelHost.Offsets(shape, strides);
        for (int i = 0; i < 16; i++)
            scattered[12 + offsets[i]] = expected[i];
        KernelHost.AssertClose(scattered, gx.Download(), 0);

        // Accumulate: gx[1:9:2, ::3] += y, a read-modify-write of the strided output.
        var target = new Strided<T>(gx.Whole().SubView(12), strides);
        Kernels.Zip(shape, target, by.Whole(), target, new PlusOperator());
        for (int i = 0; i < 16; i++)
            scattered[12 + offsets[i]] += expected[i];
        KernelHost.AssertClose(scattered, gx.Download(), KernelHost.Epsilon<T>());
    }

    [Theory]
    [InlineData(new[] { 8 }, new[] { 5, 8 })]
    [InlineData(new[] { 5, 1 }, new[] { 5, 8 })]
    [InlineData(new[] { 5, 1 }, new[] { 5, 7 })]
    [InlineData(new int[0], new[] { 3, 4 })]
    [InlineData(new int[0], new[] { 3079 })]
    [InlineData(new[] { 3, 1, 4 }, new[] { 2, 3, 5, 4 })]
    [InlineData(new[] { 200 }, new[] { 250, 200 })]
    public void Broadcast_to_materializes_a_broadcast(int[] shapeX, int[] shape)
    {
        long[] strides = KernelHost.BroadcastStrides(shapeX, shape);
        var x = KernelHost.Values<T>(KernelHost.Count(shapeX), seed: 7);
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(KernelHost.Count(shape));
        Kernels.Map(shape, new Strided<T>(bx.Whole(), strides), by.Whole(), new TestNeg());
        KernelHost.AssertClose(Gather(x, shape, strides, v => -v), by.Download(), 0);
    }

    [Fact]
    public void Strided_launches_reject_out_of_range_strides_and_outputs_written_twice()
    {
        using var x = Accelerator.Allocate1D<T>(10);
        using var y = Accelerator.Allocate1D<T>(10);
        Assert.Throws<ArgumentException>(() => Kernels.Copy([4, 4], new Strided<T>(x.Whole(), [3, 1]), y.Whole()));
        Assert.Throws<ArgumentException>(() => Kernels.Copy([2, 5], x.Whole(), new Strided<T>(y.Whole(), [0, 1])));
        Assert.Throws<ArgumentException>(() => Kernels.Copy([2, 5], new Strided<T>(x.Whole(), [1]), y.Whole()));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Copy([2, 5], new Strided<T>(x.Whole(), [-5, 1]), y.Whole()));
        Assert.Throws<ArgumentException>(() => Kernels.Map<T, TestNeg>(x.Whole(), y.Whole().SubView(1)));
        // Nine dimensions none of which merge: more than a layout holds (the launcher splits them; see the transposes).
        int[] shape = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        long[] transposed = [1, 2, 4, 8, 16, 32, 64, 128, 256];
        Assert.False(StridedLayout.TryCreate(shape, transposed, default, default, out _));
        var rank = Assert.Throws<ArgumentException>(() => StridedLayout.Create(shape, transposed, default, default));
        Assert.Contains("needs more than 8 dimensions after merging", rank.Message, StringComparison.Ordinal);
        // Out-of-range strides are still found when the launch is split.
        using var big = Accelerator.Allocate1D<T>(1 << 9);
        using var target = Accelerator.Allocate1D<T>(1 << 9);
        long[] tooFar = [1, 2, 4, 8, 16, 32, 64, 128, 512];
        var far = Assert.Throws<ArgumentException>(() => Kernels.Copy(shape, new Strided<T>(big.Whole(), tooFar), target.Whole()));
        Assert.Contains("of an operand with 512 elements", far.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_launch_past_eight_dimensions_is_split_along_its_smallest_dimension()
    {
        // x is (500, 2, 2, 2, 2, 2, 2, 2, 2); its eight small axes reversed after the large one: nine dimensions that
        // do not merge. Split along an axis of 2, it is two launches of eight dimensions, not 500.
        int launches = 0;
        AssertTransposes(new KernelLibrary(Accelerator, Style, () => launches++), [500, 2, 2, 2, 2, 2, 2, 2, 2], [0, 8, 7, 6, 5, 4, 3, 2, 1], map: false);
        Assert.Equal(2, launches);
    }

    /// <summary>Copies x of <paramref name="shapeX"/> with its axes in <paramref name="axes"/>' order (and maps exp over it) against the host.</summary>
    private void AssertTransposes(KernelLibrary kernels, int[] shapeX, int[] axes, bool map)
    {
        int[] shape = Array.ConvertAll(axes, axis => shapeX[axis]);
        long[] own = KernelHost.Contiguous(shapeX);
        long[] strides = Array.ConvertAll(axes, axis => own[axis]);
        var x = KernelHost.Values<T>(KernelHost.Count(shapeX), seed: 5);
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(x.Length);

        kernels.Copy(shape, new Strided<T>(bx.Whole(), strides), by.Whole());
        KernelHost.AssertClose(Gather(x, shape, strides, v => v), by.Download(), 0);
        if (!map)
            return;
        kernels.Map(shape, new Strided<T>(bx.Whole(), strides), by.Whole(), new ExpOperator());
        KernelHost.AssertClose(Gather(x, shape, strides, Math.Exp), by.Download(), KernelHost.Epsilon<T>() * Fixture.MathTolerance, KernelHost.Absolute<T>());
    }

    [Fact]
    public void Kernels_are_compiled_once_and_the_launch_hook_runs_per_launch()
    {
        int launches = 0;
        var kernels = new KernelLibrary(Accelerator, Style, () => launches++);
        using var x = Accelerator.Upload(KernelHost.Values<T>(100, seed: 8));
        using var y = Accelerator.Allocate1D<T>(100);
        kernels.Map(x.Whole(), y.Whole(), new TestPow(2));
        int compiled = kernels.CompiledCount;
        // The chunked layout runs its bodies on the calling thread: nothing to compile.
        Assert.True(Style == KernelStyle.Chunked ? compiled == 0 : compiled >= 1);
        kernels.Map(x.Whole(), y.Whole(), new TestPow(3));
        kernels.Map(x.Whole(), y.Whole(), new TestPow(2));
        Assert.Equal(compiled, kernels.CompiledCount);
        Assert.Equal(3, launches);
    }

    /// <summary>Threads of the packed launch over <paramref name="packs"/> packs on the fixture's accelerator.</summary>
    private long Threads(long packs)
    {
        var config = LaunchPlan.For(Accelerator, packs, KernelStyle.Packed).Config;
        return (long)config.GridDim.X * config.GroupDim.X;
    }

    private void CheckUnary<TOp>(TOp op, Func<double, double> reference, int n)
        where TOp : struct, IUnaryOperator
    {
        var x = KernelHost.Values<T>(n, seed: n);
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(n);
        Kernels.Map(bx.Whole(), by.Whole(), op);
        KernelHost.AssertClose(Array.ConvertAll(KernelHost.AsDouble(x), v => reference(v)), by.Download(), KernelHost.Epsilon<T>() * Fixture.MathTolerance, KernelHost.Absolute<T>());
    }

    private void CheckBinary<TOp>(TOp op, Func<double, double, double> reference, int n)
        where TOp : struct, IBinaryOperator
    {
        var a = KernelHost.Values<T>(n, seed: n);
        var b = KernelHost.Values<T>(n, seed: n + 1);
        using var ba = Accelerator.Upload(a);
        using var bb = Accelerator.Upload(b);
        using var by = Accelerator.Allocate1D<T>(n);
        Kernels.Zip(ba.Whole(), bb.Whole(), by.Whole(), op);
        var da = KernelHost.AsDouble(a);
        var db = KernelHost.AsDouble(b);
        KernelHost.AssertClose(da.Select((v, i) => reference(v, db[i])).ToArray(), by.Download(), KernelHost.Epsilon<T>() * Fixture.MathTolerance, KernelHost.Absolute<T>());
    }

    private static double[] Gather(T[] x, int[] shape, long[] strides, Func<double, double> op) =>
        Array.ConvertAll(KernelHost.Offsets(shape, strides), offset => op(double.CreateTruncating(x[offset])));

    private static double[] Reference(int[] shape, T[] a, long[] sa, T[] b, long[] sb, Func<double, double, double> op)
    {
        var oa = KernelHost.Offsets(shape, sa);
        var ob = KernelHost.Offsets(shape, sb);
        return oa.Select((offset, i) => op(double.CreateTruncating(a[offset]), double.CreateTruncating(b[ob[i]]))).ToArray();
    }
}


public sealed class KernelElementwiseTestsChunkedFloat(KernelFixture fixture) : KernelElementwiseTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelElementwiseTestsChunkedDouble(KernelFixture fixture) : KernelElementwiseTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelElementwiseTestsPackedFloat(KernelFixture fixture) : KernelElementwiseTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelElementwiseTestsPackedDouble(KernelFixture fixture) : KernelElementwiseTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelElementwiseTestsCudaFloat(CudaKernelFixture fixture) : KernelElementwiseTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelElementwiseTestsCudaDouble(CudaKernelFixture fixture) : KernelElementwiseTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
