using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = 1 / (1 + e^−x)</c>; backward <c>gx = gy·y(1 − y)</c> from the output (one fused kernel).</summary>
    public sealed class Sigmoid() : UnaryFunction<SigmoidOperator>(default)
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Y, gys[0], new PolynomialGradient(-1, 0, 1))];
    }

    /// <summary>1 / (1 + e^−x)</summary>
    public readonly struct SigmoidOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + ElementaryMath.Exp(-x));

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Vector<T>.One / (Vector<T>.One + ElementaryMath.Exp(-x));
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = 1 / (1 + e^−x), the logistic sigmoid.</summary>
        public static Variable Sigmoid(Variable x) => new Functions.Sigmoid().Call(x)[0];
    }
}
