using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Arithmetic on tensors outside the graph: the functions' values, and DeZero's manual update idiom.</summary>
public abstract class TensorArithmeticTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private Device Device => fixture.Require();

    [Fact]
    public void Operators_give_the_functions_values_with_broadcasting_and_leave_their_operands_alone()
    {
        var a = Device.FromArray([1.0, -2.0, 3.0, 4.0, 5.0, -6.0], 2, 3);
        var b = Device.FromArray([0.5, 2.0, -4.0], 3);
        var (va, vb) = (new Variable(a), new Variable(b));
        (Tensor Actual, Variable Expected)[] cases =
        [
            (a + b, va + vb), (a - b, va - vb), (a * b, va * vb), (a / b, va / vb),
            (a + 1.5, va + 1.5), (1.5 + a, 1.5 + va), (a - 1.5, va - 1.5), (1.5 - a, 1.5 - va),
            (a * 3, va * 3), (3 * a, 3 * va), (a / 4, va / 4), (4 / a, 4 / va), (-a, -va),
        ];
        foreach (var (actual, expected) in cases)
        {
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.ToArray<double>(), actual.ToArray<double>());
        }
        Assert.Equal([1.0, -2.0, 3.0, 4.0, 5.0, -6.0], a.ToArray<double>());
        Assert.Equal([0.5, 2.0, -4.0], b.ToArray<double>());
    }

    [Fact]
    public void Bad_operands_are_errors_that_name_them()
    {
        var a = Device.FromArray([1f, 2f, 3f], 3);
        var e = Assert.Throws<ArgumentException>(() => a + Device.FromArray([1f, 2f], 2));
        Assert.Contains("(3,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2,)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => a * Device.FromArray([1.0, 2.0, 3.0], 3));
        Assert.Throws<ArgumentNullException>(() => a - (Tensor)null!);
    }

    [Fact]
    public void The_manual_update_of_step_28_is_plain_gradient_descent()
    {
        // DeZero's step 28: the Rosenbrock function from (0, 2), lr = 0.001, x.data -= lr * x.grad.data.
        const double lr = 0.001;
        static Variable Rosenbrock(Variable x0, Variable x1) => (100 * Square(x1 - Square(x0))) + Square(1 - x0);
        var (x0, x1) = (new Variable(Device.Scalar(0.0)), new Variable(Device.Scalar(2.0)));
        var (p0, p1) = (new Variable(Device.Scalar(0.0)), new Variable(Device.Scalar(2.0)));
        var sgd = new Sgd(lr);
        double h0 = 0, h1 = 2;
        for (int i = 0; i < 1000; i++)
        {
            x0.ClearGrad();
            x1.ClearGrad();
            Rosenbrock(x0, x1).Backward();
            x0.Data -= lr * x0.Grad!.Data;
            x1.Data -= lr * x1.Grad!.Data;

            p0.ClearGrad();
            p1.ClearGrad();
            Rosenbrock(p0, p1).Backward();
            sgd.Update(p0, p1);

            double g0 = (-400 * h0 * (h1 - (h0 * h0))) - (2 * (1 - h0)), g1 = 200 * (h1 - (h0 * h0));
            (h0, h1) = (h0 - (lr * g0), h1 - (lr * g1));
        }
        Assert.Equal(p0.Item(), x0.Item());
        Assert.Equal(p1.Item(), x1.Item());
        Assert.Equal(h0, x0.Item(), 1e-9);
        Assert.Equal(h1, x1.Item(), 1e-9);
        Assert.InRange(x0.Item(), 0.6, 0.7);
    }
}

public sealed class CpuTensorArithmeticTests(CpuFixture fixture) : TensorArithmeticTests<CpuFixture>(fixture);

public sealed class CudaTensorArithmeticTests(CudaFixture fixture) : TensorArithmeticTests<CudaFixture>(fixture);

public sealed class OpenCLTensorArithmeticTests(OpenCLFixture fixture) : TensorArithmeticTests<OpenCLFixture>(fixture);
