using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Rows of convolutions and pooling, against direct loops over the windows on the host.</summary>
public static partial class OpTable
{
    private static IEnumerable<OpCase> ConvolutionRows()
    {
        yield return new OpCase("Im2col(3×2, stride 2×1, pad 1×0)", v => Im2col(v[0], (3, 2), (2, 1), (1, 0)), h => Im2colOf(h[0], (3, 2), (2, 1), (1, 0)), [new(2, 3, 5, 4)]);
        yield return new OpCase("Im2col(1)", v => Im2col(v[0], 1), h => Im2colOf(h[0], (1, 1), (1, 1), (0, 0)), [new(1, 2, 3, 3)]);
        yield return new OpCase("Im2col(3×2, stride 2×1, pad 1×0, 6-D)", v => Im2col(v[0], (3, 2), (2, 1), (1, 0), toMatrix: false), h => Im2colBlocksOf(h[0], (3, 2), (2, 1), (1, 0)), [new(2, 3, 5, 4)]);
        yield return new OpCase("Im2col(3, stride 3, 6-D)", v => Im2col(v[0], 3, 3, toMatrix: false), h => Im2colBlocksOf(h[0], (3, 3), (3, 3), (0, 0)), [new(1, 1, 3, 3)]);
        yield return new OpCase("Col2im(3×2, stride 2×1, pad 1×0, 6-D)", v => Col2im(v[0], new Shape(2, 3, 5, 4), (3, 2), (2, 1), (1, 0), toMatrix: false), h => Col2imOf(Reshaped(Transposed(h[0], [0, 4, 5, 1, 2, 3]), new Shape(2 * 3 * 3, 3 * 3 * 2)), new Shape(2, 3, 5, 4), (3, 2), (2, 1), (1, 0)), [new(2, 3, 3, 2, 3, 3)]);
        yield return new OpCase("Col2im(3, stride 3, 6-D)", v => Col2im(v[0], new Shape(1, 1, 3, 3), 3, 3, toMatrix: false), h => Col2imOf(Reshaped(h[0], new Shape(1, 9)), new Shape(1, 1, 3, 3), (3, 3), (3, 3), (0, 0)), [new(1, 1, 3, 3, 1, 1)]);
        yield return new OpCase("Conv2d(stride 1, pad 1)", v => Conv2d(v[0], v[1], v[2], stride: 1, pad: 1), h => Conv2dOf(h[0], h[1], h[2], (1, 1), (1, 1)), [new(2, 3, 6, 5), new(4, 3, 3, 3), new(4)]);
        yield return new OpCase("Conv2d(stride 2, no bias)", v => Conv2d(v[0], v[1], null, stride: 2), h => Conv2dOf(h[0], h[1], null, (2, 2), (0, 0)), [new(2, 2, 7, 7), new(3, 2, 3, 3)]);
        yield return new OpCase("Conv2d(stride 2×1, pad 0×2)", v => Conv2d(v[0], v[1], v[2], (2, 1), (0, 2)), h => Conv2dOf(h[0], h[1], h[2], (2, 1), (0, 2)), [new(1, 2, 5, 4), new(3, 2, 2, 3), new(3)]);
        yield return new OpCase("Conv2d(1×1)", v => Conv2d(v[0], v[1], v[2]), h => Conv2dOf(h[0], h[1], h[2], (1, 1), (0, 0)), [new(3, 4, 2, 3), new(5, 4, 1, 1), new(5)]);
        yield return new OpCase("Col2im(3×2, stride 2×1, pad 1×0)", v => Col2im(v[0], new Shape(2, 3, 5, 4), (3, 2), (2, 1), (1, 0)), h => Col2imOf(h[0], new Shape(2, 3, 5, 4), (3, 2), (2, 1), (1, 0)), [new(2 * 3 * 3, 3 * 3 * 2)]);
        yield return new OpCase("Deconv2d(stride 2, pad 1)", v => Deconv2d(v[0], v[1], v[2], stride: 2, pad: 1), h => Deconv2dOf(h[0], h[1], h[2], (2, 2), (1, 1)), [new(2, 3, 4, 3), new(3, 2, 3, 3), new(2)]);
        yield return new OpCase("Deconv2d(stride 2, pad 1, outsize 6×8)", v => Deconv2d(v[0], v[1], v[2], stride: 2, pad: 1, outsize: (6, 8)), h => Deconv2dOf(h[0], h[1], h[2], (2, 2), (1, 1), (6, 8)), [new(1, 2, 3, 4), new(2, 3, 3, 3), new(3)]);
        yield return new OpCase("Deconv2d(stride 1, no bias)", v => Deconv2d(v[0], v[1]), h => Deconv2dOf(h[0], h[1], null, (1, 1), (0, 0)), [new(1, 2, 3, 3), new(2, 4, 2, 2)]);
        foreach (var (k, s, p) in new[] { (2, 2, 0), (3, 1, 1), (3, 2, 1) })
        {
            yield return new OpCase($"Pooling({k}, stride {s}, pad {p})", v => Pooling(v[0], k, s, p), h => PoolOf(h[0], k, s, p, max: true), [new(2, 3, 6, 5)]);
            yield return new OpCase($"AveragePooling({k}, stride {s}, pad {p})", v => AveragePooling(v[0], k, s, p), h => PoolOf(h[0], k, s, p, max: false), [new(2, 3, 6, 5)]);
        }
    }

    /// <summary>x[n, c, h, w], 0 in the padding.</summary>
    private static double At(HostArray x, int n, int c, int h, int w) =>
        h < 0 || h >= x.Shape[2] || w < 0 || w >= x.Shape[3] ? 0 : x.Data[(((((n * x.Shape[1]) + c) * x.Shape[2]) + h) * x.Shape[3]) + w];

    private static (int OH, int OW) OutputSize(HostArray x, (int H, int W) k, (int H, int W) s, (int H, int W) p) =>
        (((x.Shape[2] + (2 * p.H) - k.H) / s.H) + 1, ((x.Shape[3] + (2 * p.W) - k.W) / s.W) + 1);

    /// <summary>
    /// For each element of im2col's rows (n, oh, ow) × (c, kh, kw), in order, the offset in an image of
    /// <paramref name="image"/> it reads, or −1 in the padding: written out as loops, apart from the engine's offsets.
    /// </summary>
    private static IEnumerable<long> WindowReads(Shape image, (int H, int W) k, (int H, int W) s, (int H, int W) p)
    {
        int n = image[0], c = image[1], height = image[2], width = image[3];
        int oh = ((height + (2 * p.H) - k.H) / s.H) + 1, ow = ((width + (2 * p.W) - k.W) / s.W) + 1;
        for (int i = 0; i < n; i++)
            for (int r = 0; r < oh; r++)
                for (int q = 0; q < ow; q++)
                    for (int ch = 0; ch < c; ch++)
                        for (int a = 0; a < k.H; a++)
                            for (int b = 0; b < k.W; b++)
                            {
                                int h = (r * s.H) + a - p.H, w = (q * s.W) + b - p.W;
                                yield return h < 0 || h >= height || w < 0 || w >= width ? -1 : (((((long)i * c) + ch) * height) + h) * width + w;
                            }
    }

    /// <summary>Rows (n, oh, ow) of columns (c, kh, kw), as DeZero's im2col with to_matrix.</summary>
    public static HostArray Im2colOf(HostArray x, (int H, int W) k, (int H, int W) s, (int H, int W) p)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (oh, ow) = OutputSize(x, k, s, p);
        var y = WindowReads(x.Shape, k, s, p).Select(o => o < 0 ? 0 : x.Data[o]).ToArray();
        return new HostArray(y, new Shape(x.Shape[0] * oh * ow, x.Shape[1] * k.H * k.W));
    }

    /// <summary>DeZero's 6-D im2col (n, c, kh, kw, oh, ow): the matrix's rows (n, oh, ow) of (c, kh, kw), axes moved.</summary>
    public static HostArray Im2colBlocksOf(HostArray x, (int H, int W) k, (int H, int W) s, (int H, int W) p)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (oh, ow) = OutputSize(x, k, s, p);
        var rows = Reshaped(Im2colOf(x, k, s, p), new Shape(x.Shape[0], oh, ow, x.Shape[1], k.H, k.W));
        return Transposed(rows, [0, 3, 4, 5, 1, 2]);
    }

    /// <summary>y[n, o, r, q] = b[o] + Σ x[n, c, r·sh + a − ph, q·sw + b − pw]·w[o, c, a, b].</summary>
    public static HostArray Conv2dOf(HostArray x, HostArray w, HostArray? bias, (int H, int W) s, (int H, int W) p)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        int n = x.Shape[0], c = x.Shape[1], filters = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        var (oh, ow) = OutputSize(x, (kh, kw), s, p);
        var y = new double[n * filters * oh * ow];
        int index = 0;
        for (int i = 0; i < n; i++)
            for (int o = 0; o < filters; o++)
                for (int r = 0; r < oh; r++)
                    for (int q = 0; q < ow; q++)
                    {
                        double sum = bias?.Data[o] ?? 0;
                        for (int ch = 0; ch < c; ch++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                    sum += At(x, i, ch, (r * s.H) + a - p.H, (q * s.W) + b - p.W) * w.Data[(((((o * c) + ch) * kh) + a) * kw) + b];
                        y[index++] = sum;
                    }
        return new HostArray(y, new Shape(n, filters, oh, ow));
    }

    /// <summary>Each element of the rows (n, oh, ow) × (c, kh, kw) added where im2col reads it from an image of <paramref name="image"/>.</summary>
    public static HostArray Col2imOf(HostArray cols, Shape image, (int H, int W) k, (int H, int W) s, (int H, int W) p)
    {
        ArgumentNullException.ThrowIfNull(cols);
        ArgumentNullException.ThrowIfNull(image);
        var y = new double[image.Length];
        int index = 0;
        foreach (long offset in WindowReads(image, k, s, p))
        {
            double v = cols.Data[index++];
            if (offset >= 0)
                y[offset] += v;
        }
        return new HostArray(y, image);
    }

    /// <summary>y[n, o, i·sh + a − ph, j·sw + b − pw] += x[n, c, i, j]·w[c, o, a, b], plus b[o].</summary>
    public static HostArray Deconv2dOf(HostArray x, HostArray w, HostArray? bias, (int H, int W) s, (int H, int W) p, (int H, int W)? outsize = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        int n = x.Shape[0], c = x.Shape[1], height = x.Shape[2], width = x.Shape[3], filters = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        var (oh, ow) = outsize ?? ((s.H * (height - 1)) + kh - (2 * p.H), (s.W * (width - 1)) + kw - (2 * p.W));
        var y = new double[n * filters * oh * ow];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < filters; o++)
            {
                for (int r = 0; r < oh * ow; r++)
                    y[(((i * filters) + o) * oh * ow) + r] = bias?.Data[o] ?? 0;
                for (int ch = 0; ch < c; ch++)
                    for (int r = 0; r < height; r++)
                        for (int q = 0; q < width; q++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                {
                                    int h = (r * s.H) + a - p.H, col = (q * s.W) + b - p.W;
                                    if (h >= 0 && h < oh && col >= 0 && col < ow)
                                        y[(((((i * filters) + o) * oh) + h) * ow) + col] += x.Data[(((((i * c) + ch) * height) + r) * width) + q] * w.Data[(((((ch * filters) + o) * kh) + a) * kw) + b];
                                }
            }
        return new HostArray(y, new Shape(n, filters, oh, ow));
    }

    /// <summary>The maximum (or mean) of each window of each channel, zero padding included.</summary>
    public static HostArray PoolOf(HostArray x, int k, int s, int p, bool max)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (oh, ow) = OutputSize(x, (k, k), (s, s), (p, p));
        int n = x.Shape[0], c = x.Shape[1];
        var y = new double[n * c * oh * ow];
        int index = 0;
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int r = 0; r < oh; r++)
                    for (int q = 0; q < ow; q++)
                    {
                        double acc = max ? double.NegativeInfinity : 0;
                        for (int a = 0; a < k; a++)
                            for (int b = 0; b < k; b++)
                            {
                                double v = At(x, i, ch, (r * s) + a - p, (q * s) + b - p);
                                acc = max ? Math.Max(acc, v) : acc + (v / (k * k));
                            }
                        y[index++] = acc;
                    }
        return new HostArray(y, new Shape(n, c, oh, ow));
    }
}
