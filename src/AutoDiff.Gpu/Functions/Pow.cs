using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = x^c</c> for a scalar c; backward <c>gx = gy·c·x^(c−1)</c> (one fused kernel).</summary>
    /// <param name="c">The exponent.</param>
    public sealed class Pow(double c) : UnaryFunction<PowOperator>(new PowOperator(c))
    {
        /// <summary>The exponent c.</summary>
        internal double Exponent => c;

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], new PowerGradient(c, c - 1))];
    }

    /// <summary>
    /// x^c. An integer exponent up to 64 in magnitude is a chain of products (exact for small powers, and defined
    /// for negative x on every backend); c = ±½ (DeZero's way to write a square root) is the correctly rounded √x,
    /// and its reciprocal; any other goes to the backend's pow.
    /// </summary>
    public struct PowOperator : IUnaryOperator
    {
        private const int LargestProductChain = 64;

        private readonly int whole;
        private readonly int root; // 1 for c = ½, −1 for c = −½, else 0
        private readonly int negative; // 1 for c < 0: an int, as kernel parameters are blittable (a bool is not)
        private Parameter c; // not readonly: see Parameter

        /// <summary>x^<paramref name="c"/>.</summary>
        public PowOperator(double c)
        {
            this.c = c;
            whole = Math.Abs(c) <= LargestProductChain && c == Math.Floor(c) ? (int)Math.Abs(c) : -1;
            root = Math.Abs(c) == 0.5 ? Math.Sign(c) : 0;
            negative = c < 0 ? 1 : 0;
        }

        /// <summary>The exponent c.</summary>
        public readonly double Exponent => c.Value;

        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (root != 0)
            {
                // pow's square root: +0 at −0 and +∞ at −∞, where sqrt gives −0 and NaN.
                var r = x == T.Zero ? T.Zero : x == T.NegativeInfinity ? T.PositiveInfinity : T.Sqrt(x);
                return root < 0 ? T.One / r : r;
            }
            if (whole < 0)
                return T.Pow(x, c.As<T>());
            // Exponentiation by squaring; x^−n = 1 / x^n.
            var result = T.One;
            var square = x;
            for (int n = whole; n > 0; n >>= 1)
            {
                if ((n & 1) != 0)
                    result *= square;
                if (n > 1)
                    square *= square;
            }
            return negative != 0 ? T.One / result : result;
        }

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (root != 0)
            {
                var r = Vector.SquareRoot(x);
                r = Vector.ConditionalSelect(Vector.Equals(x, Vector<T>.Zero), Vector<T>.Zero, r);
                r = Vector.ConditionalSelect(Vector.Equals(x, new Vector<T>(T.NegativeInfinity)), new Vector<T>(T.PositiveInfinity), r);
                return root < 0 ? Vector<T>.One / r : r;
            }
            if (whole < 0)
                return VectorLanes.Map(x, c.As<T>(), static (value, exponent) => T.Pow(value, exponent)); // the backend's pow
            // Apply's products in Apply's order, so each lane has its bits (Vector<T> has no generic-math interface to share the loop).
            var result = Vector<T>.One;
            var square = x;
            for (int n = whole; n > 0; n >>= 1)
            {
                if ((n & 1) != 0)
                    result *= square;
                if (n > 1)
                    square *= square;
            }
            return negative != 0 ? Vector<T>.One / result : result;
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = x^c for a scalar exponent (DeZero's <c>x ** c</c>).</summary>
        public static Variable Pow(Variable x, double c) => new Functions.Pow(c).Call(x)[0];
    }

    public partial class Variable
    {
        /// <summary>y = this^c for a scalar exponent (<see cref="F.Pow"/>, DeZero's <c>x ** c</c>).</summary>
        public Variable Pow(double c) => F.Pow(this, c);
    }
}
