using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = x</c> where x &gt; 0, else <c>slope·x</c>; backward <c>gx = gy·(x &gt; 0 ? 1 : slope)</c> (one fused kernel each).</summary>
    /// <param name="slope">The slope for x ≤ 0.</param>
    public sealed class LeakyReLU(double slope) : UnaryFunction<LeakyReLUOperator>(new LeakyReLUOperator(slope))
    {
        /// <summary>The slope for x ≤ 0.</summary>
        internal double Slope => slope;

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], new LeakyStepGradient(slope))];
    }

    /// <summary>x where x &gt; 0, else slope·x (NaN stays NaN).</summary>
    /// <param name="slope">The slope for x ≤ 0.</param>
    public struct LeakyReLUOperator(double slope) : IUnaryOperator
    {
        private Parameter slope = slope; // not readonly: see Parameter

        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? x : slope.As<T>() * x;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, new Vector<T>(slope.As<T>()) * x);
    }

    /// <summary>g where a &gt; 0, else slope·g: the derivative of the leaky rectifier, whose own derivative is 0.</summary>
    /// <param name="slope">The slope for a ≤ 0.</param>
    public struct LeakyStepGradient(double slope) : IGradientOperator
    {
        private Parameter slope = slope;

        /// <inheritdoc/>
        public T Apply<T>(T a, T g) where T : unmanaged, IFloatingPointIeee754<T> => a > T.Zero ? g : slope.As<T>() * g;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(a, Vector<T>.Zero), b, new Vector<T>(slope.As<T>()) * b);

        /// <inheritdoc/>
        public readonly Variable? Chain(Variable a, Variable g, Variable ggx) => null;
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = x where x &gt; 0, else slope·x (DeZero's <c>leaky_relu</c>, slope 0.2 by default).</summary>
        public static Variable LeakyReLU(Variable x, double slope = 0.2) => new Functions.LeakyReLU(slope).Call(x)[0];
    }
}
