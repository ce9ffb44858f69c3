using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = cos x</c>; backward <c>gx = −gy·sin x</c> (one fused kernel).</summary>
    public sealed class Cos() : UnaryFunction<CosOperator>(default)
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], new SineGradient(2))];
    }

    /// <summary>cos x</summary>
    public readonly struct CosOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Cos(x);

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Cos(x);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = cos x.</summary>
        public static Variable Cos(Variable x) => new Functions.Cos().Call(x)[0];
    }
}
