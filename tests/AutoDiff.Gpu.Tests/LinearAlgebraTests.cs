using AutoDiff.Gpu.Kernels;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Matrix products, linear layers, losses and the optimizer beyond the op table: bad input, empty operands, second derivatives, in-place updates.</summary>
public abstract class LinearAlgebraTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    private Variable Matrix(int rows, int columns, DType dtype = DType.Float32, int seed = 1) =>
        new(HostArray.Random(new Shape(rows, columns), seed).ToTensor(Device, dtype));

    [Fact]
    public void The_device_reports_which_matrix_product_runs()
    {
        var implementation = Device.MatMulImplementation;
        switch (Device.Kind)
        {
            case DeviceKind.Cpu:
                Assert.Equal(MatMulImplementation.Blocked, implementation);
                Assert.Null(Device.CuBlasUnavailableReason);
                Assert.False(Device.Float64TensorCores);
                break;
            case DeviceKind.Cuda:
                Assert.NotEqual(MatMulImplementation.Blocked, implementation);
                // Tiled on CUDA only when cuBLAS could not be used, and then the reason is given.
                Assert.Equal(implementation == MatMulImplementation.Tiled, Device.CuBlasUnavailableReason is not null);
                break;
            default:
                Assert.Equal(MatMulImplementation.Tiled, implementation);
                Assert.False(Device.Float64TensorCores); // OpenCL: register tiles only
                break;
        }
    }

    [Fact]
    public void MatMul_with_mismatched_inner_dimensions_names_both_shapes_and_changes_nothing()
    {
        var a = Matrix(2, 3, seed: 1);
        var b = Matrix(4, 5, seed: 2);
        var (aBefore, bBefore) = (a.ToArray<float>(), b.ToArray<float>());

        long allocated = Device.Memory.Snapshot().AllocatedBytes;
        var e = Assert.Throws<ArgumentException>(() => MatMul(a, b));
        Assert.Equal(allocated, Device.Memory.Snapshot().AllocatedBytes);
        Assert.Contains("MatMul", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", e.Message, StringComparison.Ordinal);
        Assert.Equal(aBefore, a.ToArray<float>());
        Assert.Equal(bBefore, b.ToArray<float>());
        Assert.Null(a.Grad);

        var l = Assert.Throws<ArgumentException>(() => Linear(a, b, new Variable(Device.Zeros(5))));
        Assert.Contains("Linear", l.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", l.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", l.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MatMul_of_a_vector_and_Linear_with_a_bias_of_another_width_are_clear_errors()
    {
        var v = new Variable(Device.Ones(3));
        var m = Matrix(3, 2);
        var e = Assert.Throws<ArgumentException>(() => MatMul(v, m));
        Assert.Contains("2-D", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3,)", e.Message, StringComparison.Ordinal);

        var bias = new Variable(Device.Zeros(3));
        var b = Assert.Throws<ArgumentException>(() => Linear(Matrix(4, 3), m, bias));
        Assert.Contains("bias (3,)", b.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 2)", b.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MeanSquaredError_of_different_shapes_or_of_scalars_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => MeanSquaredError(new Variable(Device.Ones(100, 1)), new Variable(Device.Ones(100))));
        Assert.Contains("(100, 1)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(100,)", e.Message, StringComparison.Ordinal);
        var s = Assert.Throws<ArgumentException>(() => MeanSquaredError(new Variable(Device.Scalar(1.0)), new Variable(Device.Scalar(2.0))));
        Assert.Contains("scalar", s.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// ∂f/∂v[0] recorded (createGraph), with the last input as the output's gradient (a scalar), so that checking
    /// this function's own gradients checks second derivatives in every input and in the seed.
    /// </summary>
    private static Variable FirstGradient(Func<Variable[], Variable> f, Variable[] v)
    {
        using (Config.UsingConfig(Config.EnableBackpropName, true))
        {
            var y = f(v);
            y.Grad = v[^1];
            y.Backward(createGraph: true);
            var g = v[0].Grad!;
            foreach (var x in v)
                x.ClearGrad();
            return g;
        }
    }

    private Variable Seed() => new(Device.FromArray([0.75], Shape.Scalar));

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Second_derivatives_of_a_product_match_central_differences(bool transposeA, bool transposeB)
    {
        // ∂/∂a Σ (op(a)·op(b))², differentiated again: the backward of every transposed product.
        var a = transposeA ? Matrix(4, 3, DType.Float64, 2) : Matrix(3, 4, DType.Float64, 2);
        var b = transposeB ? Matrix(5, 4, DType.Float64, 3) : Matrix(4, 5, DType.Float64, 3);
        var result = GradientCheck.Run(v => FirstGradient(u => Sum(Square(MatMul(u[0], u[1], transposeA, transposeB))), v), [a, b, Seed()]);
        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public void Second_derivatives_of_linear_and_of_the_mean_squared_error_match_central_differences()
    {
        var x = Matrix(6, 3, DType.Float64, 4);
        var w = Matrix(3, 2, DType.Float64, 5);
        var b = new Variable(HostArray.Random(new Shape(2), 6).ToTensor(Device, DType.Float64));
        var t = Matrix(6, 2, DType.Float64, 7);
        // ∂/∂x of mse(linear(x, W, b), t): through the loss's fused gradient and the layer's products.
        var result = GradientCheck.Run(v => FirstGradient(u => MeanSquaredError(Linear(u[0], u[1], u[2]), u[3]), v), [x, w, b, t, Seed()]);
        Assert.True(result.Passed, result.Detail);
        var loss = GradientCheck.Run(v => FirstGradient(u => MeanSquaredError(u[0], u[1]), v), [Matrix(6, 2, DType.Float64, 8), t, Seed()]);
        Assert.True(loss.Passed, loss.Detail);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Softmax_of_large_inputs_stays_finite_and_sums_to_one(DType dtype)
    {
        var x = new Variable(Device.FromArray([1000.0, 1001.0, 1002.0, -1000.0, 0.0, 1000.0], new Shape(2, 3)).To(dtype));
        var y = Softmax(x).ToDoubleArray();
        double e1 = Math.Exp(-1), e2 = Math.Exp(-2);
        double[] expected = [e2 / (1 + e1 + e2), e1 / (1 + e1 + e2), 1 / (1 + e1 + e2), 0, 0, 1];
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], y[i], dtype == DType.Float32 ? 1e-6 : 1e-15);
    }

    [Fact]
    public void Softmax_and_log_softmax_default_to_axis_1_as_in_DeZero()
    {
        var x = new Variable(Device.FromArray(Enumerable.Range(0, 24).Select(i => Math.Sin(i)).ToArray(), new Shape(2, 3, 4)));
        Assert.Equal(Softmax(x, 1).ToDoubleArray(), Softmax(x).ToDoubleArray());
        Assert.NotEqual(Softmax(x, -1).ToDoubleArray(), Softmax(x).ToDoubleArray());
        Assert.Equal(LogSoftmax(x, 1).ToDoubleArray(), LogSoftmax(x).ToDoubleArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Softmax(new Variable(Device.FromArray([1.0, 2.0], 2))));
    }

    [Fact]
    public void Softmax_along_an_axis_out_of_range_names_the_axis_and_the_shape()
    {
        var x = new Variable(Device.Ones(2, 3));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Softmax(x, 2));
        Assert.Contains("axis 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Softmax(x, -3));
    }

    [Fact]
    public void Second_derivatives_of_softmax_match_central_differences()
    {
        var x = Matrix(3, 4, DType.Float64, 9);
        var w = Matrix(3, 4, DType.Float64, 10);
        // ∂/∂x Σ w·softmax(x, axis 0)², differentiated again.
        var result = GradientCheck.Run(v => FirstGradient(u => Sum(Square(Softmax(u[0], 0)) * u[1]), v), [x, w, Seed()]);
        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public void Softmax_cross_entropy_with_bad_labels_or_scores_names_them_and_changes_nothing()
    {
        var x = Matrix(3, 4, seed: 11);
        var before = x.ToArray<float>();
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy(x, [0, 4, 1]));
        Assert.Contains("label 4 of row 1", range.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4)", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy(x, [0, -1, 1]));
        var count = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy(x, [0, 1]));
        Assert.Contains("2 labels for the 3 rows", count.Message, StringComparison.Ordinal);
        var rank = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy(new Variable(Device.Ones(4)), [0]));
        Assert.Contains("(4,)", rank.Message, StringComparison.Ordinal);
        Assert.Equal(before, x.ToArray<float>());
        Assert.Null(x.Grad);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Softmax_cross_entropy_of_confident_scores_is_finite_and_its_gradient_is_softmax_minus_one_hot(DType dtype)
    {
        // Scores 1000 apart: a naive log(softmax) would take log(0); the loss is (1000 + 0) / 2.
        var x = new Variable(Device.FromArray([1000.0, 0.0, 0.0, 1000.0], new Shape(2, 2)).To(dtype));
        var loss = SoftmaxCrossEntropy(x, [1, 1]);
        Assert.Equal(500.0, loss.Item(), 1e-9);
        loss.Backward();
        Assert.Equal([0.5, -0.5, 0.0, 0.0], x.Grad!.ToDoubleArray());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Sigmoid_cross_entropy_of_confident_logits_is_finite_and_its_gradient_is_sigmoid_minus_target(DType dtype)
    {
        // σ(100) rounds to 1 and σ(−100) to 0: log(1 − p) and log(p) of the rounded p would be −∞ for the wrong target.
        var x = new Variable(Device.FromArray([100.0, -100.0, 0.0, 100.0], new Shape(4)).To(dtype));
        var t = new Variable(Device.FromArray([1.0, 0.0, 1.0, 0.0], new Shape(4)).To(dtype));
        var loss = SigmoidCrossEntropy(x, t);
        Assert.Equal((Math.Log(2) + 100) / 4, loss.Item(), dtype == DType.Float32 ? 1e-5 : 1e-12);
        loss.Backward();
        var g = x.Grad!.ToDoubleArray();
        Assert.Equal([0.0, 0.0, -0.125, 0.25], g.Select(v => Math.Round(v, 9)).ToArray());
        Assert.Equal([-25.0, 25.0, 0.0, -25.0], t.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Second_derivatives_of_sigmoid_cross_entropy_match_central_differences()
    {
        var x = Matrix(4, 3, DType.Float64, 13);
        var t = Matrix(4, 3, DType.Float64, 14);
        var result = GradientCheck.Run(v => FirstGradient(u => SigmoidCrossEntropy(u[0], u[1]), v), [x, t, Seed()]);
        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public void Second_derivatives_of_softmax_cross_entropy_match_central_differences()
    {
        var x = Matrix(4, 3, DType.Float64, 12);
        var result = GradientCheck.Run(v => FirstGradient(u => SoftmaxCrossEntropy(u[0], [2, 0, 1, 2]), v), [x, Seed()]);
        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public void Linear_is_the_product_plus_the_bias_and_its_bias_gradient_sums_the_rows()
    {
        var x = Matrix(7, 3, DType.Float64, 4);
        var w = Matrix(3, 5, DType.Float64, 5);
        var b = new Variable(HostArray.Random(new Shape(5), 6).ToTensor(Device, DType.Float64));
        var y = Linear(x, w, b);
        var expected = Add(MatMul(x, w), b).ToDoubleArray();
        var actual = y.ToDoubleArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 1e-12);

        y.Backward();
        Assert.All(b.Grad!.ToDoubleArray(), g => Assert.Equal(7.0, g));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Sgd_moves_each_parameter_with_a_gradient_by_minus_lr_times_it_in_place(DType dtype)
    {
        var w = new Variable(Device.FromArray([1.0, 2.0, 3.0], new Shape(3)).To(dtype));
        var untouched = new Variable(Device.FromArray([5.0], new Shape(1)).To(dtype));
        var data = w.Data;
        Sum(Square(w)).Backward();  // grad 2w = 2, 4, 6

        new Sgd(0.25).Update(w, untouched);

        Assert.Same(data, w.Data);
        Assert.Equal([0.5, 1.0, 1.5], w.ToDoubleArray());
        Assert.Equal([5.0], untouched.ToDoubleArray());
        Assert.Equal([2.0, 4.0, 6.0], w.Grad!.ToDoubleArray());

        var sgd = new Sgd { Lr = 1 };
        sgd.UpdateOne(w);
        Assert.Equal([-1.5, -3.0, -4.5], w.ToDoubleArray());

        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sgd.UpdateOne(w));
    }
}

public sealed class CpuLinearAlgebraTests(CpuFixture fixture) : LinearAlgebraTests<CpuFixture>(fixture);

public sealed class CudaLinearAlgebraTests(CudaFixture fixture) : LinearAlgebraTests<CudaFixture>(fixture);

public sealed class OpenCLLinearAlgebraTests(OpenCLFixture fixture) : LinearAlgebraTests<OpenCLFixture>(fixture);
