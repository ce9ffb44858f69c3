using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Convolution and pooling beyond their op-table rows: where max pooling's gradient goes, NaN, second derivatives,
/// bad input, and a small convolutional classifier trained end to end. Bound to each accelerator kind below.
/// </summary>
public abstract class ConvolutionTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void Max_pooling_sends_each_windows_gradient_to_its_first_greatest_element()
    {
        var x = new Variable(Device.Ones(new Shape(1, 2, 4, 4), DType.Float64));
        var y = Pooling(x, 2, 2);
        Assert.Equal(new Shape(1, 2, 2, 2), y.Shape);
        Sum(y).Backward();
        // Ties everywhere: only the top-left element of each 2×2 window gets the gradient.
        var g = x.Grad!.Data.ToDoubleArray();
        for (int i = 0; i < g.Length; i++)
        {
            int h = i / 4 % 4, w = i % 4;
            Assert.Equal(h % 2 == 0 && w % 2 == 0 ? 1.0 : 0.0, g[i]);
        }
        var withNaN = Device.FromArray([1.0, double.NaN, 3.0, 2.0], 1, 1, 2, 2);
        Assert.True(double.IsNaN(Pooling(new Variable(withNaN), 2).Data.Item()));
    }

    [Fact]
    public void Second_derivatives_of_a_convolution_match_central_differences()
    {
        var x = new Variable(HostArray.Random(new Shape(2, 2, 4, 4), 31).ToTensor(Device, DType.Float64));
        var w = new Variable(HostArray.Random(new Shape(3, 2, 2, 2), 32).ToTensor(Device, DType.Float64));
        var seed = new Variable(HostArray.Random(new Shape(2, 2, 4, 4), 33).ToTensor(Device, DType.Float64));
        var result = GradientCheck.Run(v =>
        {
            using var recording = Config.UsingConfig(Config.EnableBackpropName, true);
            Sum(Square(Conv2d(v[0], v[1], null, stride: 1, pad: 1))).Backward(createGraph: true);
            var g = Sum(v[0].Grad! * v[2]);
            foreach (var u in v)
                u.ClearGrad();
            return g;
        }, [x, w, seed]);
        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public void Deconv2d_is_the_adjoint_of_conv2d_with_the_same_filters()
    {
        // ⟨conv(x, W), y⟩ = ⟨x, deconv(y, W)⟩ for x (2, 3, 7, 7), W (4, 3, 3, 3), stride 2, padding 1: the transposed
        // convolution of conv's 4×4 output is 7×7 again, SH·(4 − 1) + KH − 2·PH.
        var x = new Variable(HostArray.Random(new Shape(2, 3, 7, 7), 41).ToTensor(Device, DType.Float64));
        var w = new Variable(HostArray.Random(new Shape(4, 3, 3, 3), 42).ToTensor(Device, DType.Float64));
        var conv = Conv2d(x, w, null, stride: 2, pad: 1);
        var y = new Variable(HostArray.Random(conv.Shape, 43).ToTensor(Device, DType.Float64));
        var back = Deconv2d(y, w, null, stride: 2, pad: 1);
        Assert.Equal(x.Shape, back.Shape);
        Assert.Equal(Sum(conv * y).Data.Item(), Sum(x * back).Data.Item(), 10);
    }

    [Fact]
    public void Im2col_gives_DeZeros_matrix_and_6_D_windows()
    {
        // DeZero's test: one 3×3 window of arange(9) is the row 0..8.
        var x = new Variable(Device.FromArray(Enumerable.Range(0, 9).Select(v => (double)v).ToArray(), 1, 1, 3, 3));
        Assert.Equal(Enumerable.Range(0, 9).Select(v => (double)v), Im2col(x, 3, 3).ToDoubleArray());
        Assert.Equal(new Shape(1, 9), Im2col(x, 3, 3).Shape);
        Assert.Equal(new Shape(1, 1, 3, 3, 1, 1), Im2col(x, 3, 3, toMatrix: false).Shape);

        // 2×2 windows of stride 2 over arange(16) as 4×4: y[0, 0, kh, kw, oh, ow] = x[2·oh + kh, 2·ow + kw].
        var x16 = new Variable(Device.FromArray(Enumerable.Range(0, 16).Select(v => (double)v).ToArray(), 1, 1, 4, 4));
        var blocks = Im2col(x16, 2, 2, toMatrix: false);
        Assert.Equal(new Shape(1, 1, 2, 2, 2, 2), blocks.Shape);
        Assert.Equal([0.0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15], blocks.ToDoubleArray());
        // col2im of the blocks puts every element back once.
        Assert.Equal(x16.ToDoubleArray(), Col2im(blocks, x16.Shape, 2, 2, toMatrix: false).ToDoubleArray());
        var e = Assert.Throws<ArgumentException>(() => Col2im(Im2col(x16, 2, 2), x16.Shape, 2, 2, toMatrix: false));
        Assert.Contains("are (1, 1, 2, 2, 2, 2), not (4, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_names_the_shapes()
    {
        Assert.Contains("filters must be (C, OC, KH, KW) with x's C", Assert.Throws<ArgumentException>(() => Deconv2d(new Variable(Device.Ones(1, 3, 4, 4)), new Variable(Device.Ones(2, 3, 3, 3)))).Message, StringComparison.Ordinal);
        Assert.Contains("gives an empty output", Assert.Throws<ArgumentException>(() => Deconv2d(new Variable(Device.Ones(1, 2, 1, 1)), new Variable(Device.Ones(2, 3, 1, 1)), null, stride: 1, pad: 1)).Message, StringComparison.Ordinal);
        var outsize = Assert.Throws<ArgumentException>(() => Deconv2d(new Variable(Device.Ones(1, 2, 3, 3)), new Variable(Device.Ones(2, 1, 3, 3)), null, stride: 2, pad: 1, outsize: (8, 5))).Message;
        Assert.Contains("outsize (8, 5) does not fit x (1, 2, 3, 3)", outsize, StringComparison.Ordinal);
        Assert.Contains("has 4×3 windows, not 3×3", outsize, StringComparison.Ordinal);
        Assert.Contains("are (18, 18), not (18, 17)", Assert.Throws<ArgumentException>(() => Col2im(new Variable(Device.Ones(18, 17)), new Shape(2, 3, 5, 4), (3, 2), (2, 1), (1, 0))).Message, StringComparison.Ordinal);
        var x = new Variable(Device.Ones(1, 3, 5, 5));
        Assert.Contains("x must be (N, C, H, W), not (3, 5, 5)", Assert.Throws<ArgumentException>(() => Im2col(new Variable(Device.Ones(3, 5, 5)), 2)).Message, StringComparison.Ordinal);
        Assert.Contains("got x (1, 3, 5, 5) and W (4, 2, 3, 3)", Assert.Throws<ArgumentException>(() => Conv2d(x, new Variable(Device.Ones(4, 2, 3, 3)))).Message, StringComparison.Ordinal);
        Assert.Contains("the bias must be (4,)", Assert.Throws<ArgumentException>(() => Conv2d(x, new Variable(Device.Ones(4, 3, 3, 3)), new Variable(Device.Ones(3)))).Message, StringComparison.Ordinal);
        Assert.Contains("a 6×6 kernel does not fit x (1, 3, 5, 5)", Assert.Throws<ArgumentException>(() => Pooling(x, 6)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => AveragePooling(x, 2, stride: 0));

        // Sizes past 2^31: 2 channels × a 32768² kernel, and a stride of 2^30 + 1 that would wrap the output size.
        var tiny = new Variable(Device.Ones(1, 2, 1, 1));
        Assert.Contains("over x (1, 2, 1, 1)", Assert.Throws<ArgumentException>(() => Im2col(tiny, 32768, pad: 16384)).Message, StringComparison.Ordinal);
        Assert.Contains("Pooling: ", Assert.Throws<ArgumentException>(() => Pooling(tiny, 32768, pad: 16384)).Message, StringComparison.Ordinal);
        var wide = Assert.Throws<ArgumentException>(() => Deconv2d(new Variable(Device.Ones(1, 1, 3, 3)), new Variable(Device.Ones(1, 1, 1, 1)), null, stride: (1 << 30) + 1)).Message;
        Assert.StartsWith("Deconv2d: x (1, 1, 3, 3) with filters (1, 1, 1, 1)", wide, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_convolutional_classifier_learns_where_the_bright_square_is()
    {
        // 1×8×8 images, a 3×3 bright square in the left or the right half: class 0 or 1.
        const int n = 32;
        var random = new Random(5);
        var images = new double[n * 64];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            int top = random.Next(0, 6), left = (labels[i] == 0 ? 0 : 4) + random.Next(0, 2);
            for (int h = 0; h < 3; h++)
                for (int w = 0; w < 3; w++)
                    images[(i * 64) + ((top + h) * 8) + left + w] = 1;
        }
        Device.Random.ManualSeed(11);
        var x = new Variable(Device.FromArray(images, n, 1, 8, 8).To(DType.Float32));
        var conv = new Layers.Conv2d(4, kernel: 3, pad: 1, noBias: true);
        var fc = new Linear(2);
        var optimizer = new Adam(alpha: 0.05);
        double accuracy = 0, loss = double.NaN;
        for (int step = 0; step < 60 && accuracy < 1; step++)
        {
            var features = Pooling(ReLU(conv.Call(x)), 2, 2);
            var scores = fc.Call(Reshape(features, n, 4 * 4 * 4));
            var l = SoftmaxCrossEntropy(scores, labels);
            conv.ClearGrads();
            fc.ClearGrads();
            l.Backward();
            optimizer.Update([.. conv.Params(), .. fc.Params()]);
            loss = l.Data.Item();
            accuracy = Accuracy(scores, labels).Data.Item();
        }
        Assert.True(accuracy == 1, $"accuracy {accuracy}, loss {loss}");
        Assert.Equal(new Shape(4, 1, 3, 3), conv.W!.Shape);
        Assert.Null(conv.B);
    }
}

public sealed class CpuConvolutionTests(CpuFixture fixture) : ConvolutionTests<CpuFixture>(fixture);

public sealed class CudaConvolutionTests(CudaFixture fixture) : ConvolutionTests<CudaFixture>(fixture);

public sealed class OpenCLConvolutionTests(OpenCLFixture fixture) : ConvolutionTests<OpenCLFixture>(fixture);
