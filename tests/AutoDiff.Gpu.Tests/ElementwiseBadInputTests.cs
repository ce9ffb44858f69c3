using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Bad operands of the elementwise functions: a clear error naming the function and the problem, and nothing changed.</summary>
public sealed class ElementwiseBadInputTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    private static readonly Dictionary<string, Func<Variable, Variable, Variable>> Binary = new()
    {
        ["Sub"] = (a, b) => a - b,
        ["Mul"] = (a, b) => a * b,
        ["Div"] = (a, b) => a / b,
    };

    public static TheoryData<string> Names() => [.. Binary.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Shapes_that_do_not_broadcast_name_the_function_and_both_shapes_and_change_nothing(string name)
    {
        using var device = fixture.OpenFresh();
        var a = new Variable(device.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3));
        var b = new Variable(device.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2));
        var y = Sin(a);
        long allocated = device.Memory.AllocatedBytes;

        var e = Assert.Throws<ArgumentException>(() => Binary[name](y, b));
        Assert.StartsWith($"{name}:", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2)", e.Message, StringComparison.Ordinal);

        Assert.Equal(allocated, device.Memory.AllocatedBytes);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], b.ToArray<float>());
        Assert.Null(b.Grad);
        // The graph before the failed call still works.
        y.Backward();
        Assert.Equal(Array.ConvertAll(a.ToArray<float>(), ElementaryMath.Cos), a.Grad!.ToArray<float>()); // the engine's cos, bit for bit
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Mixing_float32_and_float64_names_the_function_and_both_types(string name)
    {
        var a = new Variable(fixture.Require().FromArray([1f, 2f]));
        var b = new Variable(fixture.Require().FromArray([1.0, 2.0]));
        foreach (var (x, y) in new[] { (a, b), (b, a) })
        {
            var e = Assert.Throws<ArgumentException>(() => Binary[name](x, y));
            Assert.StartsWith($"{name}:", e.Message, StringComparison.Ordinal);
            Assert.Contains("float32", e.Message, StringComparison.Ordinal);
            Assert.Contains("float64", e.Message, StringComparison.Ordinal);
        }
        Assert.Equal([1f, 2f], a.ToArray<float>());
        Assert.Equal([1.0, 2.0], b.ToArray<double>());
    }

    [Fact]
    public void A_gradient_step_takes_one_shape()
    {
        var a = new Variable(fixture.Require().FromArray([1.0, 2.0, 3.0]));
        var g = new Variable(fixture.Require().FromArray([1.0, 2.0]));
        var e = Assert.Throws<ArgumentException>(() => GradientStep.Of(a, g, new SineGradient(1)));
        Assert.Contains("(3,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("GradientStep<SineGradient>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_and_disposed_operands_fail_clearly()
    {
        var x = new Variable(fixture.Require().FromArray([1f, 2f]));
        Assert.Throws<ArgumentNullException>(() => x * (Variable)null!);
        Assert.Throws<ArgumentNullException>(() => (Variable)null! + 1);
        Assert.Throws<ArgumentNullException>(() => 2 / (Variable)null!);
        Assert.Throws<ArgumentNullException>(() => Exp(null!));
        x.Dispose();
        foreach (var f in new Func<Variable, Variable>[] { Exp, Tanh, v => v - 1, v => 1 / v, v => v.Pow(2), v => -v })
            Assert.Contains("disposed", Assert.Throws<ObjectDisposedException>(() => f(x)).Message, StringComparison.Ordinal);
    }
}
