namespace AutoDiff.Gpu;

public static partial class F
{
    /// <summary>
    /// DeZero's <c>deconv2d</c> (a transposed convolution): x (N, C, H, W) with filters w (C, OC, KH, KW) and an
    /// optional bias b (OC,), giving (N, OC, OH, OW): one matrix product then DeZero's <c>col2im</c>. OH is
    /// <paramref name="outsize"/>'s when given, else SH·(H − 1) + KH − 2·PH (DeZero's <c>get_deconv_outsize</c>);
    /// an outsize must be one whose convolution gives H×W windows. The adjoint of
    /// <see cref="Conv2d(Variable, Variable, Variable?, ValueTuple{int, int}, ValueTuple{int, int})"/> with the
    /// same filters, stride and padding; differentiable in x, w and b, to every order.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The shapes do not fit, the output would be empty, or outsize does not fit x.
    /// </exception>
    public static Variable Deconv2d(
        Variable x, Variable w, Variable? b, (int H, int W) stride, (int H, int W) pad, (int H, int W)? outsize = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        const string name = nameof(Deconv2d);
        if (w.NDim != 4 || x.NDim != 4 || w.Shape[0] != x.Shape[1])
            throw new ArgumentException(
                $"{name}: filters must be (C, OC, KH, KW) with x's C, for x (N, C, H, W): " +
                $"got x {x.Shape} and W {w.Shape}");
        if (b is not null && !b.Shape.Equals(new Shape(w.Shape[1])))
            throw new ArgumentException(
                $"{name}: the bias must be ({w.Shape[1]},) for W {w.Shape}, not {b.Shape}");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], width = x.Shape[3];
        int filters = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        Functions.Windows.CheckSizes(name, (kh, kw), stride, pad);
        long oh = outsize?.H ?? (((long)stride.H * (h - 1)) + kh - (2L * pad.H));
        long ow = outsize?.W ?? (((long)stride.W * (width - 1)) + kw - (2L * pad.W));
        string geometry = $"x {x.Shape} with filters {w.Shape}, stride {stride} and padding {pad}";
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{name}: {geometry} gives an empty output ({oh}×{ow})");
        if (oh > int.MaxValue || ow > int.MaxValue
            || (long)n * h * width > int.MaxValue || (long)filters * kh * kw > int.MaxValue)
            throw new ArgumentException(
                $"{name}: {geometry} gives an output of {oh}×{ow} or windows of more than 2^31 − 1");
        var image = new Shape(n, filters, (int)oh, (int)ow);
        if (outsize is not null)
        {
            var windows = Functions.Windows.Of(name, image, (kh, kw), stride, pad);
            if (windows.OH != h || windows.OW != width)
                throw new ArgumentException(
                    $"{name}: outsize {outsize} does not fit x {x.Shape}: its convolution by {kh}×{kw} filters with " +
                    $"stride {stride} and padding {pad} has {windows.OH}×{windows.OW} windows, not {h}×{width}");
        }
        var rows = Reshape(Transpose(x, 0, 2, 3, 1), n * h * width, c);
        var cols = MatMul(rows, Reshape(w, c, filters * kh * kw));
        var y = Col2im(cols, image, (kh, kw), stride, pad);
        return b is null ? y : y + Reshape(b, 1, filters, 1, 1);
    }

    /// <summary>
    /// <see cref="Deconv2d(Variable, Variable, Variable?, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int}?)"/>
    /// with square strides and paddings (DeZero's defaults: stride 1, no padding).
    /// </summary>
    public static Variable Deconv2d(
        Variable x, Variable w, Variable? b = null, int stride = 1, int pad = 0, (int H, int W)? outsize = null) =>
        Deconv2d(x, w, b, (stride, stride), (pad, pad), outsize);
}
