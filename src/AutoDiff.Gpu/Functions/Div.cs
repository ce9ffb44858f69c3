using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = x0 / x1</c>, broadcast as in NumPy; backward <c>gx0 = sum_to(gy / x1, x0.shape)</c>,
    /// <c>gx1 = sum_to(−(gy / x1)·y, x1.shape)</c>: two kernels, the second reusing the first's result and the output.
    /// </summary>
    public sealed class Div : BinaryFunction<DivOperator>
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            Variable x0 = Input(0), x1 = Input(1);
            // A collected output had a zero gradient: a value recomputed outside the graph gives the same result.
            var y = Output(0) ?? new Variable(Launch.Zip(Name, x0.Data, x1.Data, default(DivOperator)));
            var gx0 = F.Div(gys[0], x1);
            var gx1 = Broadcasting.SumToFreeing(GradientStep.Of(y, gx0, new PolynomialGradient(-1, 0)), x1.Shape);
            return [Broadcasting.SumToFreeing(gx0, x0.Shape), gx1];
        }
    }

    /// <summary>
    /// Forward <c>y = x / c</c> for a scalar c (a true division, as NumPy's, not a product with 1/c); backward
    /// <c>gx = gy / c</c> (itself again).
    /// </summary>
    /// <param name="c">The divisor.</param>
    public sealed class DivScalar(double c) : UnaryFunction<DivideByOperator>(new DivideByOperator(c))
    {
        /// <summary>The divisor c.</summary>
        internal double Divisor => c;

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [F.Div(gys[0], c)];
    }

    /// <summary>Forward <c>y = c / x</c> for a scalar c; backward <c>gx = −gy·c·x^−2</c> (one fused kernel).</summary>
    /// <param name="c">The dividend.</param>
    public sealed class RDivScalar(double c) : UnaryFunction<DivideIntoOperator>(new DivideIntoOperator(c))
    {
        /// <summary>The dividend c.</summary>
        internal double Dividend => c;

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [GradientStep.Of(Input(0), gys[0], new PowerGradient(-c, -2))];
    }

    /// <summary>a / b</summary>
    public readonly struct DivOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a / b;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a / b;
    }

    /// <summary>x / c</summary>
    /// <param name="c">The divisor.</param>
    public struct DivideByOperator(double c) : IUnaryOperator
    {
        private Parameter c = c; // not readonly: see Parameter

        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x / c.As<T>();

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x / new Vector<T>(c.As<T>());
    }

    /// <summary>c / x</summary>
    /// <param name="c">The dividend.</param>
    public struct DivideIntoOperator(double c) : IUnaryOperator
    {
        private Parameter c = c; // not readonly: see Parameter

        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => c.As<T>() / x;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => new Vector<T>(c.As<T>()) / x;
    }
}

namespace AutoDiff.Gpu
{
    using Functions;

    public static partial class F
    {
        /// <summary>y = x0 / x1, broadcast as in NumPy.</summary>
        public static Variable Div(Variable x0, Variable x1) => new Div().Call(x0, x1)[0];

        /// <summary>y = x / c, one kernel; c takes x's element type.</summary>
        public static Variable Div(Variable x, double c) => new DivScalar(c).Call(x)[0];

        /// <summary>y = c / x, one kernel; c takes x's element type.</summary>
        public static Variable Div(double c, Variable x) => new RDivScalar(c).Call(x)[0];
    }

    public partial class Variable
    {
        /// <summary>y = a / b (<see cref="F.Div(Variable, Variable)"/>).</summary>
        public static Variable operator /(Variable a, Variable b) => F.Div(a, b);

        /// <summary>y = a / c (<see cref="F.Div(Variable, double)"/>).</summary>
        public static Variable operator /(Variable a, double c) => F.Div(a, c);

        /// <summary>y = c / a (<see cref="F.Div(double, Variable)"/>).</summary>
        public static Variable operator /(double c, Variable a) => F.Div(c, a);
    }
}
