using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The CPU accelerator's average pooling and its adjoint against float64 loops over the window geometries (strides
/// smaller and larger than the kernel, paddings, non-square images, batch 1): each output the mean of its window with
/// the padding's zeros counted, each gradient element the share of every window that holds it.
/// </summary>
public abstract class KernelAveragePoolingTests<T>(KernelFixture fixture)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [MemberData(nameof(WindowCases.Geometries), MemberType = typeof(WindowCases))]
    public void Average_pooling_and_its_gradient_match_direct_loops(
        int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new WindowGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        long outputs = (long)g.N * g.C * g.OH * g.OW;
        var x = KernelHost.Values<T>((int)g.ImageLength, seed: h + w, scale: 1, specials: false);
        var gy = KernelHost.Values<T>((int)outputs, seed: kh + kw, scale: 1, specials: false);
        var (y, gx) = Direct(g, KernelHost.AsDouble(x), KernelHost.AsDouble(gy));
        var accelerator = fixture.Accelerator;
        using var bx = accelerator.Upload(x);
        using var by = accelerator.Upload(gy);
        using var bgx = accelerator.Allocate1D<T>(g.ImageLength);
        using var pooled = accelerator.Allocate1D<T>(outputs);
        // Both write every element: NaN left anywhere would show.
        fixture.Chunked.Fill(pooled.Whole(), T.NaN);
        fixture.Chunked.AveragePooling(bx.Whole(), pooled.Whole(), g);
        double rtol = KernelHost.Epsilon<T>(), atol = KernelHost.Absolute<T>();
        KernelHost.AssertClose(y, pooled.Download(), rtol, atol, $"pooling of {g}");
        fixture.Chunked.Fill(bgx.Whole(), T.NaN);
        fixture.Chunked.AveragePoolingGradient(by.Whole(), bgx.Whole(), g);
        KernelHost.AssertClose(gx, bgx.Download(), rtol, atol, $"gradient of {g}");
    }

    [Fact]
    public void GPU_layouts_and_wrong_lengths_are_refused()
    {
        var g = new WindowGeometry(1, 2, 4, 4, 2, 2, 2, 2, 0, 0);
        using var x = fixture.Accelerator.Allocate1D<T>(g.ImageLength);
        using var y = fixture.Accelerator.Allocate1D<T>(g.N * g.C * g.OH * g.OW);
        var packed = Assert.Throws<NotSupportedException>(() => fixture.Packed.AveragePooling(x.Whole(), y.Whole(), g));
        Assert.Contains("CPU accelerator", packed.Message, StringComparison.Ordinal);
        var error = Assert.Throws<ArgumentException>(
            () => fixture.Chunked.AveragePoolingGradient(y.Whole(), x.Whole().SubView(0, 5), g));
        Assert.Contains("x has 5", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The means of the windows, and the adjoint's scatter of gy/(KH·KW), in float64.</summary>
    private static (double[] Y, double[] Gx) Direct(WindowGeometry g, double[] x, double[] gy)
    {
        var y = new double[gy.Length];
        var gx = new double[x.Length];
        double share = 1.0 / (g.KH * g.KW);
        int at = 0;
        for (int plane = 0; plane < g.N * g.C; plane++)
        {
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++, at++)
                {
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int h = (oh * g.SH) + kh - g.PH, w = (ow * g.SW) + kw - g.PW;
                            if (h < 0 || h >= g.H || w < 0 || w >= g.W)
                                continue;
                            long pixel = ((long)plane * g.H * g.W) + ((long)h * g.W) + w;
                            y[at] += x[pixel] * share;
                            gx[pixel] += gy[at] * share;
                        }
                    }
                }
            }
        }
        return (y, gx);
    }
}

public sealed class KernelAveragePoolingTestsFloat(KernelFixture fixture)
    : KernelAveragePoolingTests<float>(fixture), IClassFixture<KernelFixture>;

public sealed class KernelAveragePoolingTestsDouble(KernelFixture fixture)
    : KernelAveragePoolingTests<double>(fixture), IClassFixture<KernelFixture>;
