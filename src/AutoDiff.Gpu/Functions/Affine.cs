using System.Globalization;
using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = x·a + b</c> for scalars a and b, one kernel: the scalar forms <c>x + c</c>, <c>x − c</c>,
    /// <c>c − x</c>, <c>x·c</c> and <c>−x</c>, exact as each of them (b = −0 adds nothing, not even to −0);
    /// backward <c>gx = gy·a</c> (gy itself when a = 1).
    /// </summary>
    /// <param name="a">The factor.</param>
    /// <param name="b">The term added; −0 for none.</param>
    public sealed class Affine(double a, double b) : UnaryFunction<AffineOperator>(new AffineOperator(a, b))
    {
        /// <summary>b for "no term": x + (−0) is x for every x, where x + 0 turns −0 into +0.</summary>
        internal const double NoTerm = -0.0;

        /// <summary>The factor a.</summary>
        internal double Factor => a;

        /// <summary>The term b; <see cref="NoTerm"/> for none.</summary>
        internal double Term => b;

        /// <inheritdoc/>
        public override string Name => a == -1 && IsNoTerm(b)
            ? "Neg"
            : string.Create(CultureInfo.InvariantCulture, $"Affine(x·{a:R} + {b:R})");

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [a == 1 ? gys[0] : Of(gys[0], a, NoTerm)];

        /// <summary>x·a + b as a variable.</summary>
        internal static Variable Of(Variable x, double a, double b) => new Affine(a, b).Call(x)[0];

        internal static bool IsNoTerm(double b) => b == 0 && double.IsNegative(b);
    }

    /// <summary>x·a + b</summary>
    /// <param name="a">The factor.</param>
    /// <param name="b">The term added; −0 for none.</param>
    public struct AffineOperator(double a, double b) : IUnaryOperator
    {
        private Parameter a = a; // not readonly: see Parameter
        private Parameter b = b;

        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => (x * a.As<T>()) + b.As<T>();

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => (x * a.As<T>()) + new Vector<T>(b.As<T>());
    }
}

namespace AutoDiff.Gpu
{
    using Functions;

    public static partial class F
    {
        /// <summary>y = x + c, one kernel; c takes x's element type.</summary>
        public static Variable Add(Variable x, double c) => Affine.Of(x, 1, c);

        /// <summary>y = c + x, one kernel; c takes x's element type.</summary>
        public static Variable Add(double c, Variable x) => Affine.Of(x, 1, c);
    }

    public partial class Variable
    {
        /// <summary>y = a + c (<see cref="F.Add(Variable, double)"/>).</summary>
        public static Variable operator +(Variable a, double c) => F.Add(a, c);

        /// <summary>y = c + a (<see cref="F.Add(double, Variable)"/>).</summary>
        public static Variable operator +(double c, Variable a) => F.Add(c, a);
    }
}
