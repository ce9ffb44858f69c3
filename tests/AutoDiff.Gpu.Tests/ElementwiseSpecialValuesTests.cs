using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>The special inputs and the functions checked on them, with their float64 host references.</summary>
public static class ElementwiseSpecialValues
{
    internal static readonly double[] Values = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1, -1, 0.5, -2.5, 30, -30, 100, -100];

    internal static readonly Dictionary<string, (Func<Variable, Variable> Apply, Func<double, double> Reference)> Functions = new()
    {
        ["Exp"] = (Exp, Math.Exp),
        ["Log"] = (Log, Math.Log),
        ["Sin"] = (Sin, Math.Sin),
        ["Cos"] = (Cos, Math.Cos),
        ["Tanh"] = (Tanh, Math.Tanh),
        ["Sigmoid"] = (Sigmoid, x => 1 / (1 + Math.Exp(-x))),
        ["ReLU"] = (ReLU, x => Math.Max(x, 0)),
        ["Neg"] = (Neg, x => -x),
        ["LeakyReLU"] = (x => LeakyReLU(x), x => x > 0 ? x : 0.2 * x),
        ["Clip(-1, 2)"] = (x => Clip(x, -1, 2), x => Math.Clamp(x, -1, 2)),
        ["Pow(x, 0)"] = (x => Pow(x, 0), x => Math.Pow(x, 0)),
        ["Pow(x, 2)"] = (x => Pow(x, 2), x => Math.Pow(x, 2)),
        ["Pow(x, 3)"] = (x => Pow(x, 3), x => Math.Pow(x, 3)),
        ["Pow(x, -1)"] = (x => Pow(x, -1), x => Math.Pow(x, -1)),
        ["Pow(x, 0.5)"] = (x => Pow(x, 0.5), x => Math.Pow(x, 0.5)),
        ["Pow(x, -0.5)"] = (x => Pow(x, -0.5), x => Math.Pow(x, -0.5)),
        ["Pow(x, 1.5)"] = (x => Pow(x, 1.5), x => Math.Pow(x, 1.5)),
        ["x + 0"] = (x => x + 0, x => x + 0),
        ["x - 0"] = (x => x - 0, x => x - 0),
        ["x + 1.5"] = (x => x + 1.5, x => x + 1.5),
        ["2 - x"] = (x => 2 - x, x => 2 - x),
        ["x * 3"] = (x => x * 3, x => x * 3),
        ["x / 3"] = (x => x / 3, x => x / 3),
        ["1 / x"] = (x => 1 / x, x => 1 / x),
    };

    public static TheoryData<string> Names() => [.. Functions.Keys];
}

/// <summary>
/// The unary kernels on NaN, ±∞, ±0 and large arguments, which the table's random inputs never reach: NaN where
/// IEEE 754 (and .NET's Math) gives NaN, infinities with their sign, and zeros with their sign.
/// </summary>
public abstract class ElementwiseSpecialValuesTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [MemberData(nameof(ElementwiseSpecialValues.Names), MemberType = typeof(ElementwiseSpecialValues))]
    public void Special_values_follow_IEEE_754(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            Check(name, dtype);
    }

    private void Check(string name, DType dtype)
    {
        var (apply, reference) = ElementwiseSpecialValues.Functions[name];
        bool single = dtype == DType.Float32;
        var inputs = single ? Array.ConvertAll(ElementwiseSpecialValues.Values, v => (double)(float)v) : ElementwiseSpecialValues.Values;
        var x = new Variable(Device.FromArray(inputs, new Shape(inputs.Length)).To(dtype));
        var actual = apply(x).ToDoubleArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            double expected = single ? (float)reference(inputs[i]) : reference(inputs[i]);
            string where = $"{name}({inputs[i]:R}) in {dtype.Name()}: got {actual[i]:R}, expected {expected:R}";
            if (double.IsNaN(expected) || double.IsInfinity(expected))
            {
                Assert.True(expected.Equals(actual[i]), where);
            }
            else if (expected == 0)
            {
                Assert.True(actual[i] == 0 && double.IsNegative(actual[i]) == double.IsNegative(expected), where);
            }
            else
            {
                double tolerance = Math.Abs(expected) * (single ? 4e-6 : 1e-12);
                Assert.True(Math.Abs(actual[i] - expected) <= Math.Max(tolerance, single ? 1e-37 : 1e-300), where);
            }
        }
    }
}

public sealed class CpuElementwiseSpecialValuesTests(CpuFixture fixture) : ElementwiseSpecialValuesTests<CpuFixture>(fixture);

public sealed class CudaElementwiseSpecialValuesTests(CudaFixture fixture) : ElementwiseSpecialValuesTests<CudaFixture>(fixture);

public sealed class OpenCLElementwiseSpecialValuesTests(OpenCLFixture fixture) : ElementwiseSpecialValuesTests<OpenCLFixture>(fixture);
