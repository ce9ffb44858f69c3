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
                break;
            case DeviceKind.Cuda:
                Assert.NotEqual(MatMulImplementation.Blocked, implementation);
                // Tiled on CUDA only when cuBLAS could not be used, and then the reason is given.
                Assert.Equal(implementation == MatMulImplementation.Tiled, Device.CuBlasUnavailableReason is not null);
                break;
            default:
                Assert.Equal(MatMulImplementation.Tiled, implementation);
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

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Second_derivatives_of_a_product_match_central_differences(bool transposeA, bool transposeB)
    {
        // g(a, b) = ∂/∂a Σ (op(a)·op(b))², itself differentiated: the backward of every transposed product.
        var a = transposeA ? Matrix(4, 3, DType.Float64, 2) : Matrix(3, 4, DType.Float64, 2);
        var b = transposeB ? Matrix(5, 4, DType.Float64, 3) : Matrix(4, 5, DType.Float64, 3);
        Variable Gradient(Variable[] v)
        {
            using (Config.UsingConfig(Config.EnableBackpropName, true))
            {
                var y = Sum(Square(MatMul(v[0], v[1], transposeA, transposeB)));
                y.Backward(createGraph: true);
                var g = v[0].Grad!;
                v[0].ClearGrad();
                v[1].ClearGrad();
                return g;
            }
        }

        var result = GradientCheck.Run(Gradient, [a, b]);
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
