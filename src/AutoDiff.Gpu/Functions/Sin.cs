using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = sin x</c>; backward <c>gx = gy·cos x</c> (one fused kernel).</summary>
    public sealed class Sin() : UnaryFunction<SinOperator>(default)
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], new SineGradient(1))];
    }

    /// <summary>sin x</summary>
    public readonly struct SinOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Sin(x);

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Sin(x);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = sin x.</summary>
        public static Variable Sin(Variable x) => new Functions.Sin().Call(x)[0];
    }
}
