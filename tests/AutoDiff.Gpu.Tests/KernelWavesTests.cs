using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The GPU layout's grid size (<see cref="KernelLibrary.Waves"/>) changes how many groups stride over the work,
/// never the results: maps and zips are the same bit for bit, sums the same within rounding, on the wide CPU
/// accelerator (groups of 256) where a wave is a handful of groups, so that every thread strides many times.
/// </summary>
public sealed class KernelWavesTests(KernelFixture fixture) : IClassFixture<KernelFixture>
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Maps_and_zips_do_not_depend_on_the_grid(int waves)
    {
        var x = KernelHost.Values<float>(40_007, seed: 3);
        var b = KernelHost.Values<float>(40_007, seed: 4);
        var planned = new KernelLibrary(fixture.Wide, KernelStyle.Packed);
        var resized = new KernelLibrary(fixture.Wide, KernelStyle.Packed) { Waves = waves };
        Assert.Equal(waves, resized.Waves);
        using var bx = fixture.Wide.Upload(x);
        using var bb = fixture.Wide.Upload(b);
        using var expected = fixture.Wide.Allocate1D<float>(x.Length);
        using var actual = fixture.Wide.Allocate1D<float>(x.Length);

        planned.Map(bx.Whole(), expected.Whole(), new ExpOperator());
        resized.Map(bx.Whole(), actual.Whole(), new ExpOperator());
        Assert.Equal(expected.Download(), actual.Download());

        planned.Zip(bx.Whole(), bb.Whole(), expected.Whole(), new MulOperator());
        resized.Zip(bx.Whole(), bb.Whole(), actual.Whole(), new MulOperator());
        Assert.Equal(expected.Download(), actual.Download());
    }

    [Theory]
    [InlineData(1, 1, 1_000_003)]
    [InlineData(1, 7, 3079)]
    [InlineData(4, 1, 1_000_003)]
    [InlineData(4, 1000, 257)]
    public void Row_sums_do_not_depend_on_the_grid(int waves, long rows, long n)
    {
        var x = KernelHost.Values<float>((int)(rows * n), seed: 5, scale: 1, specials: false);
        var kernels = new KernelLibrary(fixture.Wide, KernelStyle.Packed) { Waves = waves };
        using var bx = fixture.Wide.Upload(x);
        using var by = fixture.Wide.Allocate1D<float>(rows);
        kernels.Reduce<float, SumReduction>(bx.Whole(), by.Whole(), rows, n, 1);

        var expected = KernelHost.Reduce(KernelHost.AsDouble(x), rows, n, 1, (acc, v) => acc + v, 0).Result;
        // Float32 partial sums of values in [−1, 1]: the rounding grows with √n at most ~n·ε.
        KernelHost.AssertClose(expected, by.Download(), 0, n * 1e-7, "row sum");
    }

    [Fact]
    public void Fewer_than_one_wave_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new KernelLibrary(fixture.Wide, KernelStyle.Packed) { Waves = 0 });
        Assert.Equal("value", error.ParamName);
    }
}
