using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = tanh x</c>; backward <c>gx = gy·(1 − y)(1 + y)</c> from the output (one fused kernel).</summary>
    public sealed class Tanh() : UnaryFunction<TanhOperator>(default)
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Y, gys[0], new PolynomialGradient(-1, 1, -1))];
    }

    /// <summary>tanh x</summary>
    public readonly struct TanhOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Tanh(x);

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Tanh(x);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = tanh x.</summary>
        public static Variable Tanh(Variable x) => new Functions.Tanh().Call(x)[0];
    }
}
