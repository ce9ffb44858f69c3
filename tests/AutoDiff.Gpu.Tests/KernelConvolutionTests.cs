using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>The cases of <see cref="KernelConvolutionTests{T}"/>: geometries and filter counts.</summary>
public static class ConvolutionCases
{
    /// <summary>
    /// The window geometries (<see cref="WindowCases.Geometries"/>) with 1, 5 and 33 filters; more than a panel of
    /// depth in each product (C·KH·KW = 360; 300 filters; 70 windows per image over 4 images), more filters than a
    /// panel of columns (520), and batch 1.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, int, int, int, int>();
        foreach (ITheoryDataRow row in WindowCases.Geometries())
        {
            var g = row.GetData();
            foreach (int filters in new[] { 1, 5, 33 })
            {
                data.Add((int)g[0]!, (int)g[1]!, (int)g[2]!, (int)g[3]!, (int)g[4]!, (int)g[5]!, (int)g[6]!,
                    (int)g[7]!, (int)g[8]!, (int)g[9]!, filters);
            }
        }
        data.Add(2, 40, 6, 7, 3, 3, 1, 1, 1, 1, 7);
        data.Add(1, 3, 5, 6, 2, 2, 1, 1, 0, 0, 300);
        data.Add(1, 2, 3, 4, 3, 3, 1, 2, 1, 1, 520);
        data.Add(4, 2, 10, 14, 3, 3, 1, 2, 1, 1, 3);
        return data;
    }
}

/// <summary>
/// The CPU accelerator's convolution kernels against direct loops at every register-tile width: the output and the
/// filters' gradient bit for bit as the host's chains of fused multiply-adds (zeros of the padding included), the
/// input's gradient within rounding of a float64 sum. GPU layouts refuse them.
/// </summary>
public abstract class KernelConvolutionTests<T>(KernelFixture fixture)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [MemberData(nameof(ConvolutionCases.Cases), MemberType = typeof(ConvolutionCases))]
    public void Convolutions_match_direct_loops(
        int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int filters)
    {
        var g = new WindowGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        long outputs = (long)n * filters * g.OH * g.OW;
        var x = KernelHost.Values<T>((int)g.ImageLength, seed: h + w, scale: 1, specials: false);
        var filter = KernelHost.Values<T>(filters * g.Column, seed: kh + kw, scale: 1, specials: false);
        var bias = KernelHost.Values<T>(filters, seed: 5, scale: 1, specials: false);
        var gy = KernelHost.Values<T>((int)outputs, seed: filters, scale: 1, specials: false);
        var accelerator = fixture.Accelerator;
        using var bx = accelerator.Upload(x);
        using var bw = accelerator.Upload(filter);
        using var bb = accelerator.Upload(bias);
        using var bgy = accelerator.Upload(gy);
        using var by = accelerator.Allocate1D<T>(outputs);
        using var bgx = accelerator.Allocate1D<T>(g.ImageLength);
        using var bgw = accelerator.Allocate1D<T>(filter.Length);
        var (expectedGx, magnitude) = InputGradient(g, filters, gy, filter);
        foreach (int bits in new[] { 512, 256, 128 })
        {
            var kernels = new KernelLibrary(accelerator, KernelStyle.Chunked) { CpuVectorBits = bits };
            string what = $"{g} with {filters} filters, {bits}-bit tiles";
            // Every kernel writes every element: NaN left anywhere would show.
            kernels.Fill(by.Whole(), T.NaN);
            kernels.Convolution(bx.Whole(), bw.Whole(), bb.Whole(), by.Whole(), g, filters);
            KernelHost.AssertSameBits(Output(g, filters, x, filter, bias), by.Download(), "y of " + what);
            kernels.Fill(by.Whole(), T.NaN);
            kernels.Convolution(bx.Whole(), bw.Whole(), default, by.Whole(), g, filters);
            KernelHost.AssertSameBits(Output(g, filters, x, filter, null), by.Download(), "y without bias of " + what);
            kernels.Fill(bgw.Whole(), T.NaN);
            kernels.ConvolutionFilterGradient(bx.Whole(), bgy.Whole(), bgw.Whole(), g, filters);
            KernelHost.AssertSameBits(FilterGradient(g, filters, x, gy), bgw.Download(), "gw of " + what);
            kernels.Fill(bgx.Whole(), T.NaN);
            kernels.ConvolutionInputGradient(bgy.Whole(), bw.Whole(), bgx.Whole(), g, filters);
            KernelHost.AssertClose(expectedGx, bgx.Download(), 0, magnitude * KernelHost.Epsilon<T>(), "gx of " + what);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Infinities_in_x_reach_only_the_filter_gradients_of_the_windows_that_read_them(int pad)
    {
        // The last columns are read by the columns of a stride-1 product that are no window, for kw = 0 too.
        var g = new WindowGeometry(2, 3, 6, 7, 3, 3, 1, 1, pad, pad);
        const int filters = 5;
        var x = KernelHost.Values<T>((int)g.ImageLength, seed: 3, scale: 1, specials: false);
        x[(((1 * g.C) + 1) * g.H * g.W) + (2 * g.W) + g.W - 1] = T.PositiveInfinity;
        x[(2 * g.H * g.W) + g.W - 2] = T.NaN;
        var gy = KernelHost.Values<T>(g.N * filters * g.OH * g.OW, seed: 4, scale: 1, specials: false);
        var expected = Array.ConvertAll(FilterGradient(g, filters, x, gy), v => double.CreateTruncating(v));
        Assert.Contains(expected, double.IsFinite);
        using var bx = fixture.Accelerator.Upload(x);
        using var bgy = fixture.Accelerator.Upload(gy);
        using var bgw = fixture.Accelerator.Allocate1D<T>(filters * g.Column);
        foreach (int bits in new[] { 512, 256, 128 })
        {
            var kernels = new KernelLibrary(fixture.Accelerator, KernelStyle.Chunked) { CpuVectorBits = bits };
            kernels.ConvolutionFilterGradient(bx.Whole(), bgy.Whole(), bgw.Whole(), g, filters);
            KernelHost.AssertClose(expected, bgw.Download(), 0, 0, $"gw of {g}, {bits}-bit tiles");
        }
    }

    [Fact]
    public void GPU_layouts_and_wrong_lengths_are_refused()
    {
        var g = new WindowGeometry(1, 2, 4, 4, 3, 3, 1, 1, 0, 0);
        using var x = fixture.Accelerator.Allocate1D<T>(g.ImageLength);
        using var w = fixture.Accelerator.Allocate1D<T>(3 * g.Column);
        using var y = fixture.Accelerator.Allocate1D<T>(3 * g.OH * g.OW);
        var packed = Assert.Throws<NotSupportedException>(
            () => fixture.Packed.Convolution(x.Whole(), w.Whole(), default, y.Whole(), g, 3));
        Assert.Contains("CPU accelerator", packed.Message, StringComparison.Ordinal);
        var error = Assert.Throws<ArgumentException>(
            () => fixture.Chunked.ConvolutionInputGradient(y.Whole(), w.Whole(), x.Whole(), g, 4));
        Assert.Contains("w has", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(
            () => fixture.Chunked.Convolution(x.Whole(), w.Whole(), y.Whole().SubView(0, 2), y.Whole(), g, 3));
    }

    /// <summary>x[n, c, h, w], 0 in the padding.</summary>
    private static T At(WindowGeometry g, T[] x, int n, int c, int h, int w) =>
        h < 0 || h >= g.H || w < 0 || w >= g.W ? T.Zero : x[((((n * g.C) + c) * g.H) + h) * g.W + w];

    /// <summary>y[n, f, oh, ow]: one chain of fused multiply-adds over (c, kh, kw), then plus the bias.</summary>
    private static T[] Output(WindowGeometry g, int filters, T[] x, T[] w, T[]? bias)
    {
        var y = new T[g.N * filters * g.OH * g.OW];
        int i = 0;
        for (int n = 0; n < g.N; n++)
            for (int f = 0; f < filters; f++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++, i++)
                    {
                        T sum = T.Zero;
                        int k = f * g.Column;
                        for (int c = 0; c < g.C; c++)
                            for (int a = 0; a < g.KH; a++)
                                for (int b = 0; b < g.KW; b++, k++)
                                {
                                    var v = At(g, x, n, c, (oh * g.SH) + a - g.PH, (ow * g.SW) + b - g.PW);
                                    sum = T.FusedMultiplyAdd(w[k], v, sum);
                                }
                        y[i] = bias is null ? sum : sum + bias[f];
                    }
        return y;
    }

    /// <summary>gw[f, c, kh, kw]: one chain of fused multiply-adds over (n, oh, ow).</summary>
    private static T[] FilterGradient(WindowGeometry g, int filters, T[] x, T[] gy)
    {
        var gw = new T[filters * g.Column];
        int i = 0;
        for (int f = 0; f < filters; f++)
            for (int c = 0; c < g.C; c++)
                for (int a = 0; a < g.KH; a++)
                    for (int b = 0; b < g.KW; b++, i++)
                    {
                        T sum = T.Zero;
                        for (int n = 0; n < g.N; n++)
                            for (int oh = 0; oh < g.OH; oh++)
                                for (int ow = 0; ow < g.OW; ow++)
                                {
                                    var v = At(g, x, n, c, (oh * g.SH) + a - g.PH, (ow * g.SW) + b - g.PW);
                                    var d = gy[((((n * filters) + f) * g.OH) + oh) * g.OW + ow];
                                    sum = T.FusedMultiplyAdd(v, d, sum);
                                }
                        gw[i] = sum;
                    }
        return gw;
    }

    /// <summary>gx in float64, as a scatter of every window's products, and the largest sum of magnitudes.</summary>
    private static (double[] Gx, double Magnitude) InputGradient(WindowGeometry g, int filters, T[] gy, T[] w)
    {
        var gx = new double[g.ImageLength];
        var magnitudes = new double[g.ImageLength];
        for (int n = 0; n < g.N; n++)
            for (int f = 0; f < filters; f++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        double d = double.CreateTruncating(gy[((((n * filters) + f) * g.OH) + oh) * g.OW + ow]);
                        for (int c = 0; c < g.C; c++)
                            for (int a = 0; a < g.KH; a++)
                                for (int b = 0; b < g.KW; b++)
                                {
                                    int h = (oh * g.SH) + a - g.PH, v = (ow * g.SW) + b - g.PW;
                                    if (h < 0 || h >= g.H || v < 0 || v >= g.W)
                                        continue;
                                    int k = (((((f * g.C) + c) * g.KH) + a) * g.KW) + b;
                                    double term = d * double.CreateTruncating(w[k]);
                                    long at = ((((long)n * g.C) + c) * g.H * g.W) + ((long)h * g.W) + v;
                                    gx[at] += term;
                                    magnitudes[at] += Math.Abs(term);
                                }
                    }
        return (gx, magnitudes.DefaultIfEmpty(0).Max());
    }
}

public sealed class KernelConvolutionTestsFloat(KernelFixture fixture)
    : KernelConvolutionTests<float>(fixture), IClassFixture<KernelFixture>;

public sealed class KernelConvolutionTestsDouble(KernelFixture fixture)
    : KernelConvolutionTests<double>(fixture), IClassFixture<KernelFixture>;
