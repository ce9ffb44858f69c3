using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = max(x, 0)</c>; backward <c>gx = gy·(x &gt; 0)</c> (one fused kernel).</summary>
    public sealed class ReLU() : UnaryFunction<ReLUOperator>(default)
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], default(StepGradient))];
    }

    /// <summary>max(x, 0); NaN stays NaN, −0 gives +0.</summary>
    public readonly struct ReLUOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x <= T.Zero ? T.Zero : x;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Vector.ConditionalSelect(Vector.LessThanOrEqual(x, Vector<T>.Zero), Vector<T>.Zero, x);
    }

    /// <summary>g where a &gt; 0, else 0: the derivative of max(x, 0), whose own derivative is 0.</summary>
    public readonly struct StepGradient : IGradientOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T g) where T : unmanaged, IFloatingPointIeee754<T> => a > T.Zero ? g : T.Zero;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => Vector.ConditionalSelect(Vector.GreaterThan(a, Vector<T>.Zero), b, Vector<T>.Zero);

        /// <inheritdoc/>
        public Variable? Chain(Variable a, Variable g, Variable ggx) => null;
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = max(x, 0), the rectified linear unit.</summary>
        public static Variable ReLU(Variable x) => new Functions.ReLU().Call(x)[0];
    }
}
