namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// im2col on the CPU accelerator: forward <c>y = im2col(x)</c>, (N, C, H, W) to (N·OH·OW, C·KH·KW), one launch
    /// that computes each window's offsets in its loop (no offsets are uploaded); backward <c>gx = col2im(gy)</c>
    /// (<see cref="Col2im"/>). GPUs gather by offsets instead (<see cref="Take"/>).
    /// </summary>
    internal sealed class Im2col(Windows windows) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var x = xs[0];
            return [Launch.Im2col(x, windows.For(x.Shape[0]))];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [new Col2im(windows, Input(0).Shape[0]).Call(gys[0])[0]];
    }

    /// <summary>
    /// col2im on the CPU accelerator: forward <c>x = col2im(cols)</c>, (N·OH·OW, C·KH·KW) to (N, C, H, W), each
    /// element the sum of the window elements that read it, added in window order (no atomics); backward
    /// <c>gcols = im2col(gx)</c> (<see cref="Im2col"/>).
    /// </summary>
    internal sealed class Col2im(Windows windows, int images) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.Col2im(xs[0], windows.For(images))];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [new Im2col(windows).Call(gys[0])[0]];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// DeZero's <c>im2col</c>: the windows of x (N, C, H, W), zeros where a window lies in the padding. As a
        /// matrix (<paramref name="toMatrix"/>, the default) they are rows, (N·OH·OW, C·KH·KW); else they are
        /// DeZero's 6-D array (N, C, KH, KW, OH, OW). On the CPU accelerator one launch that computes the offsets
        /// as it copies; on GPUs one gather by offsets computed once per geometry. The backward adds each element
        /// back where it was read (DeZero's <c>col2im</c>).
        /// </summary>
        /// <exception cref="ArgumentException">x is not 4-D, or the kernel does not fit the padded input.</exception>
        /// <exception cref="ArgumentOutOfRangeException">
        /// A kernel size or stride is not positive, or a padding negative.
        /// </exception>
        public static Variable Im2col(
            Variable x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad, bool toMatrix = true)
        {
            ArgumentNullException.ThrowIfNull(x);
            var w = Functions.Windows.Of(nameof(Im2col), x.Shape, kernel, stride, pad);
            var rows = Im2col(x, w);
            return toMatrix ? rows : Transpose(Reshape(rows, x.Shape[0], w.OH, w.OW, w.C, w.KH, w.KW), 0, 3, 4, 5, 1, 2);
        }

        /// <summary>
        /// <see cref="Im2col(Variable, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int}, bool)"/> with
        /// square kernels, strides and paddings (DeZero's defaults: stride 1, no padding).
        /// </summary>
        public static Variable Im2col(Variable x, int kernel, int stride = 1, int pad = 0, bool toMatrix = true) =>
            Im2col(x, (kernel, kernel), (stride, stride), (pad, pad), toMatrix);

        /// <summary>
        /// DeZero's <c>col2im</c>, the adjoint of
        /// <see cref="Im2col(Variable, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int}, bool)"/>:
        /// windows added back into an image of <paramref name="image"/> (N, C, H, W), each element where im2col would
        /// have read it (overlapping windows add up; the padding drops). The windows are rows (N·OH·OW, C·KH·KW) with
        /// <paramref name="toMatrix"/> (the default), else DeZero's 6-D array (N, C, KH, KW, OH, OW). One scatter-add
        /// launch (on the CPU accelerator, one launch that sums each element's windows in their order); the backward
        /// is im2col.
        /// </summary>
        /// <exception cref="ArgumentException">The windows do not have the shape im2col gives for the image.</exception>
        public static Variable Col2im(
            Variable cols, Shape image, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad,
            bool toMatrix = true)
        {
            ArgumentNullException.ThrowIfNull(cols);
            ArgumentNullException.ThrowIfNull(image);
            var w = Functions.Windows.Of(nameof(Col2im), image, kernel, stride, pad);
            int n = image[0];
            var expected = toMatrix ? new Shape(n * w.OH * w.OW, w.Column) : new Shape(n, w.C, w.KH, w.KW, w.OH, w.OW);
            if (!cols.Shape.Equals(expected))
                throw new ArgumentException(
                    $"{nameof(Col2im)}: the windows of an image {image} with kernel {kernel}, stride {stride} and " +
                    $"padding {pad} are {expected}, not {cols.Shape}");
            cols.Data.Device.ThrowIfDisposed();
            var rows = toMatrix ? cols : Reshape(Transpose(cols, 0, 4, 5, 1, 2, 3), n * w.OH * w.OW, w.Column);
            if (Launch.HasWindowKernels(cols.Data.Device))
                return new Functions.Col2im(w, n).Call(rows)[0];
            var geometry = new Functions.TakeGeometry(1, 3, PerSlice: false);
            return WithIndices(
                new IndexBuffer(cols.Data.Device, w.Gather()),
                offsets => new Functions.TakeGrad(offsets, geometry, image).Call(Reshape(rows, n, w.OH * w.OW * w.Column))[0]);
        }

        /// <summary>
        /// <see cref="Col2im(Variable, Shape, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int}, bool)"/>
        /// with square kernels, strides and paddings (DeZero's defaults: stride 1, no padding).
        /// </summary>
        public static Variable Col2im(
            Variable cols, Shape image, int kernel, int stride = 1, int pad = 0, bool toMatrix = true) =>
            Col2im(cols, image, (kernel, kernel), (stride, stride), (pad, pad), toMatrix);

        /// <summary>im2col of x by windows already checked against its shape, as a matrix.</summary>
        private static Variable Im2col(Variable x, Functions.Windows w)
        {
            x.Data.Device.ThrowIfDisposed();
            if (Launch.HasWindowKernels(x.Data.Device))
                return new Functions.Im2col(w).Call(x)[0];
            var geometry = new Functions.TakeGeometry(1, 3, PerSlice: false);
            var rows = WithIndices(
                new IndexBuffer(x.Data.Device, w.Gather()),
                offsets => new Functions.Take(offsets, geometry).Call(x)[0]);
            return Reshape(rows, x.Shape[0] * w.OH * w.OW, w.Column);
        }
    }
}
