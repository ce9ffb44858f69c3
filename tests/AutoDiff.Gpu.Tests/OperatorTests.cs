using AutoDiff.Gpu.Functions;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Each scalar form with its float32 result computed on the host.</summary>
public static class ScalarForms
{
    public static TheoryData<string> Keys() => [.. Cases.Keys];

    internal static readonly Dictionary<string, (Func<Variable, Variable> Apply, Func<float, float> Expected)> Cases = new()
    {
        ["x + 1"] = (x => x + 1, x => x + 1),
        ["1 + x"] = (x => 1 + x, x => 1 + x),
        ["x + 0.1"] = (x => x + 0.1, x => x + 0.1f),
        ["x - 1"] = (x => x - 1, x => x - 1),
        ["2.0 - x"] = (x => 2.0 - x, x => 2f - x),
        ["x * 3"] = (x => x * 3, x => x * 3),
        ["3 * x"] = (x => 3 * x, x => 3 * x),
        ["x / 2"] = (x => x / 2, x => x / 2),
        ["x / 3"] = (x => x / 3, x => x / 3),
        ["1 / x"] = (x => 1 / x, x => 1 / x),
        ["-x"] = (x => -x, x => -x),
        ["x.Pow(3)"] = (x => x.Pow(3), x => x * x * x),
        ["Pow(x, 0.5)"] = (x => Pow(x, 0.5), MathF.Sqrt),
    };
}

/// <summary>
/// The Variable operators with variables and scalars on either side (DeZero's steps 20–22), the element type a
/// scalar takes, and the shape of the graph: one function per scalar form and one fused function per backward step.
/// </summary>
public abstract class OperatorTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [MemberData(nameof(ScalarForms.Keys), MemberType = typeof(ScalarForms))]
    public void A_scalar_operand_is_one_unary_function_in_the_variables_element_type(string form)
    {
        var (apply, expected) = ScalarForms.Cases[form];
        float[] values = [1f, 2f, 3f, 0.7f];
        var x = new Variable(Device.FromArray(values));
        var y = apply(x);
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(Array.ConvertAll(values, v => expected(v)), y.ToArray<float>());
        // No scalar tensor and no broadcast: the function that made y has x as its only input.
        Assert.Same(x, Assert.Single(y.Creator!.Inputs));

        var x64 = new Variable(Device.FromArray(Array.ConvertAll(values, v => (double)v)));
        Assert.Equal(DType.Float64, apply(x64).DType);
    }

    [Fact]
    public void Operators_with_variables_and_scalars_give_DeZeros_gradients()
    {
        // Step 20: y = a·b + c; step 22: −x, 2.0 − x, x − 1, 3.0 / x, x ** 3.
        var a = new Variable(Device.Scalar(3.0));
        var b = new Variable(Device.Scalar(2.0));
        var c = new Variable(Device.Scalar(1.0));
        var y = (a * b) + c;
        y.Backward();
        Assert.Equal(7.0, y.Item());
        Assert.Equal(2.0, a.Grad!.Item());
        Assert.Equal(3.0, b.Grad!.Item());
        Assert.Equal(1.0, c.Grad!.Item());

        (Func<Variable, Variable> F, double Y, double Gx)[] cases =
        [
            (x => -x, -2, -1), (x => 2.0 - x, 0, -1), (x => x - 1, 1, 1), (x => 3.0 / x, 1.5, -0.75), (x => x.Pow(3), 8, 12),
            (x => x / 4, 0.5, 0.25), (x => x.Pow(0), 1, 0), (x => x.Pow(1), 2, 1), (x => (x - 1) / (x + 1), 1.0 / 3, 2.0 / 9), (x => 1 - ((x * x) / 2), -1, -2),
        ];
        foreach (var (f, value, gradient) in cases)
        {
            var x = new Variable(Device.Scalar(2.0));
            var z = f(x);
            z.Backward();
            Assert.Equal(value, z.Item(), 1e-15);
            Assert.Equal(gradient, x.Grad!.Item(), 1e-15);
        }
    }

    [Fact]
    public void Sum_as_a_method_is_DeZeros_x_sum()
    {
        var x = new Variable(Device.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }));
        Assert.Equal(21.0, x.Sum().Data.Item());
        Assert.Equal([5.0, 7, 9], x.Sum(0).Data.ToDoubleArray());
        var rows = x.Sum([1], keepDims: true);
        Assert.Equal(new Shape(2, 1), rows.Shape);
        Assert.Equal([6.0, 15], rows.Data.ToDoubleArray());
        x.Sum(-1).Sum().Backward();
        Assert.Equal([1.0, 1, 1, 1, 1, 1], x.Grad!.Data.ToDoubleArray());
    }

    [Fact]
    public void Powers_have_their_derivatives_at_zero()
    {
        var x = new Variable(Device.FromArray([0.0, -0.0]));
        foreach (var (c, gradient) in new[] { (0.0, 0.0), (1.0, 1.0), (2.0, 0.0), (3.0, 0.0) })
        {
            x.ClearGrad();
            x.Pow(c).Backward();
            Assert.Equal([gradient, gradient], x.Grad!.ToDoubleArray());
        }
    }

    [Fact]
    public void Binary_operators_broadcast_both_ways_and_sum_the_gradient_back()
    {
        var m = new Variable(Device.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }));
        var v = new Variable(Device.FromArray([10.0, 20.0, 30.0]));
        var y = (v - m) * (m / v);
        Assert.Equal(new Shape(2, 3), y.Shape);
        Sum(y).Backward();
        // ∂/∂v Σ (v − m)·m/v = Σ_rows m²/v², ∂/∂m = (v − 2m)/v.
        AssertClose([(1 + 16) / 100.0, (4 + 25) / 400.0, (9 + 36) / 900.0], v.Grad!.ToDoubleArray());
        AssertClose([8 / 10.0, 16 / 20.0, 24 / 30.0, 2 / 10.0, 10 / 20.0, 18 / 30.0], m.Grad!.ToDoubleArray());
    }

    [Theory]
    [InlineData("Exp", true)]
    [InlineData("Tanh", true)]
    [InlineData("Sigmoid", true)]
    [InlineData("Log", false)]
    [InlineData("Sin", false)]
    [InlineData("Cos", false)]
    [InlineData("ReLU", false)]
    [InlineData("Pow", false)]
    [InlineData("1 / x", false)]
    public void Each_backward_step_is_one_fused_function_of_x_or_y_and_gy(string name, bool ofOutput)
    {
        Func<Variable, Variable> f = name switch
        {
            "Exp" => Exp,
            "Tanh" => Tanh,
            "Sigmoid" => Sigmoid,
            "Log" => Log,
            "Sin" => Sin,
            "Cos" => Cos,
            "ReLU" => ReLU,
            "Pow" => x => x.Pow(3),
            _ => x => 1 / x,
        };
        var x = new Variable(Device.FromArray([0.5f, 1.5f]));
        var y = f(x);
        y.Backward(createGraph: true);
        var step = x.Grad!.Creator!;
        Assert.StartsWith("GradientStep<", step.Name, StringComparison.Ordinal);
        Assert.Equal(2, step.Inputs.Count);
        Assert.Same(ofOutput ? y : x, step.Inputs[0]);
        Assert.Null(step.Inputs[1].Creator);  // the seed gy itself: nothing ran between it and the fused step
    }

    [Fact]
    public void A_broadcast_product_is_freed_as_soon_as_it_is_summed_back()
    {
        using var device = fixture.OpenFresh();
        var x0 = new Variable(device.Ones(1000, 1000));
        var x1 = new Variable(device.Ones(1000));
        long inputs = device.Memory.AllocatedBytes;
        var y = x0 * x1;
        y.Data.Realize(); // fused, y and x0's gradient stay pending until read
        long output = device.Memory.AllocatedBytes - inputs;
        y.Backward();
        x0.Grad!.Data.Realize();
        // x0, x1, y and one gradient per input; gy·x0, as large as y, went back to the pool before the pass ended.
        Assert.Equal(inputs + output + inputs, device.Memory.AllocatedBytes);
        Assert.Equal(1000.0, x1.Grad!.ToDoubleArray()[999]);
        GC.KeepAlive(y);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 1e-15);
    }
}

public sealed class CpuOperatorTests(CpuFixture fixture) : OperatorTests<CpuFixture>(fixture);

public sealed class CudaOperatorTests(CudaFixture fixture) : OperatorTests<CudaFixture>(fixture);

public sealed class OpenCLOperatorTests(OpenCLFixture fixture) : OperatorTests<OpenCLFixture>(fixture);
