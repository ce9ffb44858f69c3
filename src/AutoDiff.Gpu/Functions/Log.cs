using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = ln x</c>; backward <c>gx = gy / x</c> (one fused kernel).</summary>
    public sealed class Log() : UnaryFunction<LogOperator>(default)
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], new PowerGradient(1, -1))];
    }

    /// <summary>ln x</summary>
    public readonly struct LogOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Log(x);

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Log(x);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = ln x (the natural logarithm).</summary>
        public static Variable Log(Variable x) => new Functions.Log().Call(x)[0];
    }
}
