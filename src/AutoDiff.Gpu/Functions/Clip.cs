using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = min(max(x, lo), hi)</c>; backward <c>gx = gy·(lo ≤ x ≤ hi)</c> (one fused kernel each), as DeZero's <c>clip</c>.</summary>
    /// <param name="lo">The least value.</param>
    /// <param name="hi">The greatest value.</param>
    public sealed class Clip(double lo, double hi) : UnaryFunction<ClipOperator>(new ClipOperator(lo, hi))
    {
        /// <summary>The least value.</summary>
        internal double Low => lo;

        /// <summary>The greatest value.</summary>
        internal double High => hi;

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], new InsideGradient(lo, hi))];
    }

    /// <summary>lo where x &lt; lo, hi where x &gt; hi, else x (NaN stays NaN, as NumPy's clip).</summary>
    /// <param name="lo">The least value.</param>
    /// <param name="hi">The greatest value.</param>
    public struct ClipOperator(double lo, double hi) : IUnaryOperator
    {
        private Parameter lo = lo; // not readonly: see Parameter
        private Parameter hi = hi;

        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x < lo.As<T>() ? lo.As<T>() : x > hi.As<T>() ? hi.As<T>() : x;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var l = new Vector<T>(lo.As<T>());
            var h = new Vector<T>(hi.As<T>());
            return Vector.ConditionalSelect(Vector.LessThan(x, l), l, Vector.ConditionalSelect(Vector.GreaterThan(x, h), h, x));
        }
    }

    /// <summary>g where lo ≤ a ≤ hi, else 0: the derivative of clip, whose own derivative is 0.</summary>
    /// <param name="lo">The least value.</param>
    /// <param name="hi">The greatest value.</param>
    public struct InsideGradient(double lo, double hi) : IGradientOperator
    {
        private Parameter lo = lo;
        private Parameter hi = hi;

        /// <inheritdoc/>
        public T Apply<T>(T a, T g) where T : unmanaged, IFloatingPointIeee754<T> => a >= lo.As<T>() && a <= hi.As<T>() ? g : T.Zero;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThanOrEqual(a, new Vector<T>(lo.As<T>())) & Vector.LessThanOrEqual(a, new Vector<T>(hi.As<T>())), b, Vector<T>.Zero);

        /// <inheritdoc/>
        public readonly Variable? Chain(Variable a, Variable g, Variable ggx) => null;
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = x limited to [<paramref name="lo"/>, <paramref name="hi"/>] (DeZero's <c>clip</c>); the gradient passes where x is inside.</summary>
        /// <exception cref="ArgumentException">lo is greater than hi, or either is NaN.</exception>
        public static Variable Clip(Variable x, double lo, double hi) =>
            lo <= hi ? new Functions.Clip(lo, hi).Call(x)[0] : throw new ArgumentException($"Clip: the least value {lo} must not be greater than the greatest {hi}");
    }
}
