using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = eˣ</c>; backward <c>gx = gy·y</c> (one fused kernel).</summary>
    public sealed class Exp() : UnaryFunction<ExpOperator>(default)
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Y, gys[0], new PolynomialGradient(1, 0))];
    }

    /// <summary>eˣ</summary>
    public readonly struct ExpOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Exp(x);

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Exp(x);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = eˣ.</summary>
        public static Variable Exp(Variable x) => new Functions.Exp().Call(x)[0];
    }
}
