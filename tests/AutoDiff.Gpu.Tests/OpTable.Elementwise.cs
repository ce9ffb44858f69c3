using AutoDiff.Gpu.Functions;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Rows of the elementwise functions, their scalar forms and their fused gradient steps.</summary>
public static partial class OpTable
{
    private static IEnumerable<OpCase> ElementwiseRows()
    {
        IEnumerable<OpCase>[] rows =
        [
            Unary("Square", Square, x => x * x),
            Binary("Add", Add, (a, b) => a + b),
            Binary("Sub", Sub, (a, b) => a - b),
            Binary("Mul", Mul, (a, b) => a * b),
            Binary("Div", Div, (a, b) => a / b, low: 0.5, high: 2),
            Unary("Exp", Exp, Math.Exp),
            Unary("Log", Log, Math.Log, low: 0.2, high: 3),
            Unary("Sin", Sin, Math.Sin),
            Unary("Cos", Cos, Math.Cos),
            Unary("Tanh", Tanh, Math.Tanh),
            Unary("Sigmoid", Sigmoid, x => 1 / (1 + Math.Exp(-x))),
            Unary("ReLU(x > 0)", ReLU, x => Math.Max(x, 0), low: 0.1, high: 2),
            Unary("ReLU(x < 0)", ReLU, x => Math.Max(x, 0), low: -2, high: -0.1),
            Unary("LeakyReLU(x > 0)", x => LeakyReLU(x), x => x, low: 0.1, high: 2),
            Unary("LeakyReLU(x < 0, 0.1)", x => LeakyReLU(x, 0.1), x => 0.1 * x, low: -2, high: -0.1),
            // Inside, and on either side of [−0.5, 0.7] away from its ends (the gradient has a step there).
            Unary("Clip(inside)", x => Clip(x, -0.5, 0.7), x => x, low: -0.4, high: 0.6),
            Unary("Clip(below)", x => Clip(x, -0.5, 0.7), x => -0.5, low: -2, high: -0.6),
            Unary("Clip(above)", x => Clip(x, -0.5, 0.7), x => 0.7, low: 0.8, high: 2),
            Unary("Neg", Neg, x => -x),
            Unary("-x", x => -x, x => -x),
            Unary("Pow(x, 3)", x => Pow(x, 3), x => x * x * x),
            Unary("x.Pow(2.5)", x => x.Pow(2.5), x => Math.Pow(x, 2.5), low: 0.3, high: 2),
            Unary("Pow(x, 0.5)", x => Pow(x, 0.5), Math.Sqrt, low: 0.3, high: 2),
            Unary("Pow(x, -0.5)", x => Pow(x, -0.5), x => 1 / Math.Sqrt(x), low: 0.3, high: 2),
            Unary("Pow(x, -2)", x => Pow(x, -2), x => 1 / (x * x), low: 0.5, high: 2),

            // Scalars on either side: one unary function each.
            Unary("x + 1.5", x => x + 1.5, x => x + 1.5),
            Unary("2.5 + x", x => 2.5 + x, x => 2.5 + x),
            Unary("x - 0.75", x => x - 0.75, x => x - 0.75),
            Unary("2 - x", x => 2 - x, x => 2 - x),
            Unary("x * 3", x => x * 3, x => x * 3),
            Unary("-1.5 * x", x => -1.5 * x, x => -1.5 * x),
            Unary("x / 3", x => x / 3, x => x / 3),
            Unary("1 / x", x => 1 / x, x => 1 / x, low: 0.5, high: 2),
            Unary("-2 / x", x => -2 / x, x => -2 / x, low: 0.5, high: 2),

            // Compositions as a user writes them (DeZero's steps 20–24).
            Binary("(a - b)² / 2 + a·b", (a, b) => (((a - b) * (a - b)) / 2) + (a * b), (a, b) => ((a - b) * (a - b) / 2) + (a * b)),
            Unary("tanh(sigmoid(x)·2 - 1)·exp(-x²)", x => Tanh((Sigmoid(x) * 2) - 1) * Exp(-Square(x)), x => Math.Tanh((2 / (1 + Math.Exp(-x))) - 1) * Math.Exp(-x * x)),

            // The fused gradient steps as functions of (a, g): their backward is the next order's chain rule.
            Binary("GradientStep tanh′", (a, g) => GradientStep.Of(a, g, new PolynomialGradient(-1, 1, -1)), (a, g) => g * (1 - (a * a)), broadcast: false),
            Binary("GradientStep exp′", (a, g) => GradientStep.Of(a, g, new PolynomialGradient(1, 0)), (a, g) => g * a, broadcast: false),
            Binary("GradientStep log′", (a, g) => GradientStep.Of(a, g, new PowerGradient(1, -1)), (a, g) => g / a, broadcast: false, low: 0.5, high: 2),
            Binary("GradientStep (x³)′", (a, g) => GradientStep.Of(a, g, new PowerGradient(3, 2)), (a, g) => g * 3 * a * a, broadcast: false),
            Binary("GradientStep sin′", (a, g) => GradientStep.Of(a, g, new SineGradient(1)), (a, g) => g * Math.Cos(a), broadcast: false),
            Binary("GradientStep sin‴", (a, g) => GradientStep.Of(a, g, new SineGradient(3)), (a, g) => -g * Math.Cos(a), broadcast: false),
            Binary("GradientStep relu′", (a, g) => GradientStep.Of(a, g, default(StepGradient)), (a, g) => a > 0 ? g : 0, broadcast: false, low: 0.1, high: 2),
        ];
        return rows.SelectMany(r => r);
    }
}
