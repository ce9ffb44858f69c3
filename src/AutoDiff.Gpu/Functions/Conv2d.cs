using System.Collections.Concurrent;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// The windows of a 2-D convolution or pooling over x (N, C, H, W): kernel (KH, KW), stride (SH, SW) and zero
    /// padding (PH, PW) on each side, giving OH = (H + 2·PH − KH)/SH + 1 rows and OW columns of windows, as DeZero's
    /// <c>get_conv_outsize</c>.
    /// </summary>
    internal readonly record struct Windows(int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW)
    {
        private const int MaxCachedGeometries = 64;

        private static readonly ConcurrentDictionary<Windows, int[]> Gathers = new();

        public int OH => (int)Rows;

        public int OW => (int)Columns;

        /// <summary>Elements of one window over every channel: C·KH·KW.</summary>
        public int Column => (int)Elements;

        /// <summary>OH without overflow (before <see cref="Of"/> has checked it fits an int).</summary>
        private long Rows => ((H + (2L * PH) - KH) / SH) + 1;

        /// <summary>OW without overflow.</summary>
        private long Columns => ((W + (2L * PW) - KW) / SW) + 1;

        /// <summary>C·KH·KW without overflow.</summary>
        private long Elements => (long)C * KH * KW;

        /// <summary>The kernels' geometry of these windows over <paramref name="images"/> images.</summary>
        public Kernels.WindowGeometry For(int images) => new(images, C, H, W, KH, KW, SH, SW, PH, PW);

        /// <summary>The windows of x; the error names the function, the shape and the sizes.</summary>
        public static Windows Of(string name, Shape x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad)
        {
            if (x.Rank != 4)
                throw new ArgumentException($"{name}: x must be (N, C, H, W), not {x}");
            CheckSizes(name, kernel, stride, pad);
            var w = new Windows(x[1], x[2], x[3], kernel.H, kernel.W, stride.H, stride.W, pad.H, pad.W);
            if (x[2] + (2L * pad.H) < kernel.H || x[3] + (2L * pad.W) < kernel.W)
                throw new ArgumentException($"{name}: a {kernel.H}×{kernel.W} kernel does not fit x {x} padded by {pad}");
            // Each count is below 2^33, so the products fit an Int128; the offsets and the rows need an int.
            if ((Int128)w.Rows * w.Columns * w.Elements > int.MaxValue || (Int128)x[0] * w.Rows * w.Columns > int.MaxValue)
                throw new ArgumentException($"{name}: {w.Rows}×{w.Columns} windows of {w.Elements} elements (kernel {kernel}, stride {stride}, padding {pad}) over x {x} are more than 2^31 − 1 per image or rows in all");
            return w;
        }

        /// <summary>Kernel sizes and strides positive, paddings not negative; the error names the function and all three.</summary>
        public static void CheckSizes(string name, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad)
        {
            if (kernel.H < 1 || kernel.W < 1 || stride.H < 1 || stride.W < 1 || pad.H < 0 || pad.W < 0)
                throw new ArgumentOutOfRangeException(nameof(kernel), $"{name}: kernel {kernel} and stride {stride} must be positive and padding {pad} not negative");
        }

        /// <summary>
        /// For each (oh, ow, c, kh, kw) of one image, row-major, the offset in its (C, H, W) of the element the window
        /// reads, or <see cref="int.MaxValue"/> (out of range: reads 0, adds nothing) in the padding. Cached per geometry.
        /// </summary>
        public int[] Gather()
        {
            // A loop over few geometries hits the cache; one over ever new image sizes must not grow it without end.
            if (Gathers.Count >= MaxCachedGeometries && !Gathers.ContainsKey(this))
                Gathers.Clear();
            return Gathers.GetOrAdd(this, Offsets);
        }

        private static int[] Offsets(Windows g)
        {
            var offsets = new int[g.OH * g.OW * g.Column];
            int i = 0;
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++)
                {
                    for (int c = 0; c < g.C; c++)
                    {
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int h = (oh * g.SH) + kh - g.PH, w = (ow * g.SW) + kw - g.PW;
                                offsets[i++] = h < 0 || h >= g.H || w < 0 || w >= g.W ? int.MaxValue : (((c * g.H) + h) * g.W) + w;
                            }
                        }
                    }
                }
            }
            return offsets;
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// <paramref name="f"/> of indices just put on the device; when nothing records a graph they go back to the pool
        /// right after its launch, not at a collection (the function keeps them for its backward otherwise).
        /// </summary>
        private static Variable WithIndices(IndexBuffer indices, Func<IndexBuffer, Variable> f)
        {
            var y = f(indices);
            if (!Config.EnableBackprop)
                indices.Release();
            return y;
        }

        /// <summary>
        /// DeZero's <c>conv2d</c>: x (N, C, H, W) with filters w (OC, C, KH, KW) and an optional bias b (OC,), stride and
        /// zero padding, giving (N, OC, OH, OW): <see cref="Im2col(Variable, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int}, bool)"/>
        /// then one matrix product with the filters as rows, as DeZero computes it; on the CPU accelerator one launch
        /// that packs the windows as it multiplies (<see cref="Functions.Convolution"/>). Differentiable in x, w and b,
        /// to every order.
        /// </summary>
        /// <exception cref="ArgumentException">The shapes do not fit (x 4-D, w 4-D with x's channels, b of w's filters).</exception>
        public static Variable Conv2d(Variable x, Variable w, Variable? b, (int H, int W) stride, (int H, int W) pad)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(w);
            if (w.NDim != 4 || x.NDim != 4 || w.Shape[1] != x.Shape[1])
                throw new ArgumentException($"{nameof(Conv2d)}: filters must be (OC, C, KH, KW) with x's C, for x (N, C, H, W): got x {x.Shape} and W {w.Shape}");
            if (b is not null && !b.Shape.Equals(new Shape(w.Shape[0])))
                throw new ArgumentException($"{nameof(Conv2d)}: the bias must be ({w.Shape[0]},) for W {w.Shape}, not {b.Shape}");
            int n = x.Shape[0], filters = w.Shape[0];
            var windows = Functions.Windows.Of(nameof(Conv2d), x.Shape, (w.Shape[2], w.Shape[3]), stride, pad);
            x.Data.Device.ThrowIfDisposed();
            Variable y;
            if (Launch.HasWindowKernels(x.Data.Device))
            {
                y = new Functions.Convolution(windows).Call(b is null ? [x, w] : [x, w, b])[0];
            }
            else
            {
                var col = Im2col(x, windows);
                y = MatMul(col, Reshape(w, filters, windows.Column), transposeA: false, transposeB: true);
                if (b is not null)
                    y += b;
                y = Transpose(Reshape(y, n, windows.OH, windows.OW, filters), 0, 3, 1, 2);
            }
            return Composite.Mark(y, new Composite.Convolution(stride, pad), x, w, b);
        }

        /// <summary><see cref="Conv2d(Variable, Variable, Variable?, ValueTuple{int, int}, ValueTuple{int, int})"/> with square strides and paddings.</summary>
        public static Variable Conv2d(Variable x, Variable w, Variable? b = null, int stride = 1, int pad = 0) => Conv2d(x, w, b, (stride, stride), (pad, pad));

        /// <summary>
        /// DeZero's <c>pooling</c> (max pooling): the greatest element of each window of each channel of x (N, C, H, W),
        /// giving (N, C, OH, OW); zero padding takes part, as in DeZero. The gradient goes to the first greatest element of
        /// each window only (its argmax, found on the device), as DeZero's and PyTorch's; a NaN in a window wins.
        /// On the CPU accelerator one launch finds each window's element in x, and one gather takes it.
        /// </summary>
        public static Variable Pooling(Variable x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad)
        {
            ArgumentNullException.ThrowIfNull(x);
            x.Data.Device.ThrowIfDisposed();
            var w = Functions.Windows.Of(nameof(Pooling), x.Shape, kernel, stride, pad);
            bool small = x.Shape.Length <= int.MaxValue && (long)x.Shape[0] * x.Shape[1] * w.OH * w.OW <= int.MaxValue;
            if (Launch.HasWindowKernels(x.Data.Device) && small)
            {
                var take = new Functions.TakeGeometry(0, 4, PerSlice: false);
                var maxima = WithIndices(
                    Launch.MaxPoolingIndices(x.Data, w.For(x.Shape[0])),
                    positions => new Functions.Take(positions, take).Call(x)[0]);
                var pooled = Reshape(maxima, x.Shape[0], x.Shape[1], w.OH, w.OW);
                return Composite.Mark(pooled, new Composite.Pooling(Max: true, kernel, stride, pad), x);
            }
            var (n, c, windows, rows) = PerChannelWindows(nameof(Pooling), x, kernel, stride, pad);
            var picked = WithIndices(
                Launch.ArgReduceOnDevice(nameof(Pooling), rows.Data, 1, minimum: false),
                positions => new Functions.Take(positions, new Functions.TakeGeometry(1, 1, PerSlice: true)).Call(rows)[0]);
            var y = Transpose(Reshape(picked, n, windows.OH, windows.OW, c), 0, 3, 1, 2);
            return Composite.Mark(y, new Composite.Pooling(Max: true, kernel, stride, pad), x);
        }

        /// <summary><see cref="Pooling(Variable, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int})"/> with square kernels, strides and paddings (DeZero's default stride is 1).</summary>
        public static Variable Pooling(Variable x, int kernel, int stride = 1, int pad = 0) => Pooling(x, (kernel, kernel), (stride, stride), (pad, pad));

        /// <summary>
        /// DeZero's <c>average_pooling</c>: the mean of each window of each channel of x (N, C, H, W), zero padding
        /// included, giving (N, C, OH, OW). On the CPU accelerator one launch, and one for the gradient.
        /// </summary>
        public static Variable AveragePooling(Variable x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad)
        {
            ArgumentNullException.ThrowIfNull(x);
            x.Data.Device.ThrowIfDisposed();
            if (Launch.HasWindowKernels(x.Data.Device))
            {
                var w = Functions.Windows.Of(nameof(AveragePooling), x.Shape, kernel, stride, pad);
                var pooled = new Functions.AveragePooling(w).Call(x)[0];
                return Composite.Mark(pooled, new Composite.Pooling(Max: false, kernel, stride, pad), x);
            }
            var (n, c, windows, rows) = PerChannelWindows(nameof(AveragePooling), x, kernel, stride, pad);
            var y = Transpose(Reshape(Mean(rows, 1), n, windows.OH, windows.OW, c), 0, 3, 1, 2);
            return Composite.Mark(y, new Composite.Pooling(Max: false, kernel, stride, pad), x);
        }

        /// <summary><see cref="AveragePooling(Variable, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int})"/> with square kernels, strides and paddings.</summary>
        public static Variable AveragePooling(Variable x, int kernel, int stride = 1, int pad = 0) => AveragePooling(x, (kernel, kernel), (stride, stride), (pad, pad));

        /// <summary>The windows of x as rows of KH·KW, one per (n, oh, ow, c).</summary>
        private static (int N, int C, Functions.Windows Windows, Variable Rows) PerChannelWindows(string name, Variable x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad)
        {
            var windows = Functions.Windows.Of(name, x.Shape, kernel, stride, pad);
            int n = x.Shape[0], c = x.Shape[1];
            if ((long)n * windows.OH * windows.OW * c > int.MaxValue)
                throw new ArgumentException($"{name}: {n}·{windows.OH}·{windows.OW}·{c} windows (kernel {kernel}, stride {stride}, padding {pad}) over x {x.Shape} are more than 2^31 − 1");
            var col = Im2col(x, windows);
            return (n, c, windows, Reshape(col, n * windows.OH * windows.OW * c, kernel.H * kernel.W));
        }
    }
}
