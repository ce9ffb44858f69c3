using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>The cases of <see cref="KernelWindowsTests{T}"/>.</summary>
public static class WindowCases
{
    /// <summary>
    /// Geometries (N, C, H, W, KH, KW, SH, SW, PH, PW): stride 1 with padding, strides smaller and larger than the
    /// kernel, non-square images, kernels and strides, a kernel as large as the padded image, 1×1 windows, and one
    /// large enough to be split among threads.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Geometries() => new()
    {
        { 2, 3, 6, 5, 3, 3, 1, 1, 1, 1 },
        { 2, 3, 5, 4, 3, 2, 2, 1, 1, 0 },
        { 1, 2, 7, 9, 2, 3, 3, 2, 0, 2 },
        { 3, 1, 4, 4, 6, 6, 1, 1, 1, 1 },
        { 1, 4, 3, 5, 1, 1, 1, 1, 0, 0 },
        { 2, 2, 9, 7, 5, 4, 2, 3, 2, 1 },
        { 8, 16, 28, 28, 3, 3, 1, 1, 1, 1 },
    };
}

/// <summary>
/// The CPU accelerator's im2col and col2im against direct loops, bit for bit: im2col copies each window's elements
/// (zeros in the padding); col2im adds every window element back where im2col read it, in the order a scatter of the
/// rows one after the other adds them, however the rows are split among threads. GPU layouts refuse them.
/// </summary>
public abstract class KernelWindowsTests<T>(KernelFixture fixture)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [MemberData(nameof(WindowCases.Geometries), MemberType = typeof(WindowCases))]
    public void Im2col_and_col2im_match_direct_loops(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new WindowGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        var x = KernelHost.Values<T>((int)g.ImageLength, seed: h + w, scale: 1, specials: false);
        var cols = KernelHost.Values<T>((int)g.ColumnLength, seed: kh + kw, scale: 1, specials: false);
        var (expectedCols, expectedImage) = Direct(g, x, cols);
        var accelerator = fixture.Accelerator;
        var kernels = fixture.Chunked;
        using var bx = accelerator.Upload(x);
        using var bcols = accelerator.Allocate1D<T>(g.ColumnLength);
        kernels.Fill(bcols.Whole(), T.NaN);
        kernels.Im2col(bx.Whole(), bcols.Whole(), g);
        KernelHost.AssertSameBits(expectedCols, bcols.Download(), $"im2col of {g}");

        bcols.Whole().CopyFromCPU(cols);
        // Col2im writes every element: NaN left anywhere would show.
        kernels.Fill(bx.Whole(), T.NaN);
        kernels.Col2im(bcols.Whole(), bx.Whole(), g);
        KernelHost.AssertSameBits(expectedImage, bx.Download(), $"col2im of {g}");
    }

    [Theory]
    [MemberData(nameof(WindowCases.Geometries), MemberType = typeof(WindowCases))]
    public void Max_pooling_positions_match_direct_loops(
        int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new WindowGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        // Specials (NaN, ±∞, ±0) and ties: the first NaN, else the first greatest, wins.
        var x = Array.ConvertAll(KernelHost.Values<T>((int)g.ImageLength, seed: h + w, scale: 3), v => T.Round(v));
        var expected = new int[g.N * g.C * g.OH * g.OW];
        int at = 0;
        for (int plane = 0; plane < g.N * g.C; plane++)
        {
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++, at++)
                {
                    var values = new List<(T Value, int Offset)>();
                    for (int a = 0; a < g.KH; a++)
                    {
                        for (int b = 0; b < g.KW; b++)
                        {
                            int y = (oh * g.SH) + a - g.PH, z = (ow * g.SW) + b - g.PW;
                            bool inside = y >= 0 && y < g.H && z >= 0 && z < g.W;
                            int offset = (plane * g.H * g.W) + (y * g.W) + z;
                            values.Add(inside ? (x[offset], offset) : (T.Zero, int.MaxValue));
                        }
                    }
                    int nan = values.FindIndex(v => T.IsNaN(v.Value));
                    T max = values.Select(v => v.Value).Max()!;
                    expected[at] = values[nan >= 0 ? nan : values.FindIndex(v => v.Value == max)].Offset;
                }
            }
        }
        using var bx = fixture.Accelerator.Upload(x);
        using var indices = fixture.Accelerator.Allocate1D<int>(expected.Length);
        fixture.Chunked.MaxPoolingIndices(bx.Whole(), indices.Whole(), g);
        Assert.Equal(expected, indices.GetAsArray1D());
    }

    [Fact]
    public void GPU_layouts_and_windows_that_do_not_fit_are_refused()
    {
        var g = new WindowGeometry(1, 1, 4, 4, 3, 3, 1, 1, 0, 0);
        using var x = fixture.Accelerator.Allocate1D<T>(g.ImageLength);
        using var cols = fixture.Accelerator.Allocate1D<T>(g.ColumnLength);
        var packed = Assert.Throws<NotSupportedException>(() => fixture.Packed.Im2col(x.Whole(), cols.Whole(), g));
        Assert.Contains("CPU accelerator", packed.Message, StringComparison.Ordinal);
        var large = g with { KH = 5 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Chunked.Col2im(cols.Whole(), x.Whole(), large));
        Assert.Contains("KH = 5", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => fixture.Chunked.Im2col(x.Whole(), cols.Whole().SubView(0, 3), g));
    }

    /// <summary>im2col of x, and col2im of cols as a scatter-add of the rows in order, by the definition.</summary>
    private static (T[] Cols, T[] Image) Direct(WindowGeometry g, T[] x, T[] cols)
    {
        var im2col = new T[g.ColumnLength];
        var image = new T[g.ImageLength];
        long row = 0;
        for (int n = 0; n < g.N; n++)
        {
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++, row++)
                {
                    int e = 0;
                    for (int c = 0; c < g.C; c++)
                    {
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++, e++)
                            {
                                int h = (oh * g.SH) + kh - g.PH, w = (ow * g.SW) + kw - g.PW;
                                long at = (row * g.Column) + e;
                                if (h < 0 || h >= g.H || w < 0 || w >= g.W)
                                    continue;
                                long pixel = ((((long)n * g.C) + c) * g.H * g.W) + ((long)h * g.W) + w;
                                im2col[at] = x[pixel];
                                image[pixel] += cols[at];
                            }
                        }
                    }
                }
            }
        }
        return (im2col, image);
    }
}

public sealed class KernelWindowsTestsFloat(KernelFixture fixture) : KernelWindowsTests<float>(fixture), IClassFixture<KernelFixture>;

public sealed class KernelWindowsTestsDouble(KernelFixture fixture) : KernelWindowsTests<double>(fixture), IClassFixture<KernelFixture>;
