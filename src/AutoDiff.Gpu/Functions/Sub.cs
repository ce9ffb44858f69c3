using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = x0 − x1</c>, broadcast as in NumPy; backward <c>gx0 = sum_to(gy, x0.shape)</c>,
    /// <c>gx1 = −sum_to(gy, x1.shape)</c> (negated after the sum, on the smaller tensor).
    /// </summary>
    public sealed class Sub : BinaryFunction<SubOperator>
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [F.SumTo(gys[0], Input(0).Shape), F.Neg(F.SumTo(gys[0], Input(1).Shape))];
    }

    /// <summary>a − b</summary>
    public readonly struct SubOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a - b;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a - b;
    }
}

namespace AutoDiff.Gpu
{
    using Functions;

    public static partial class F
    {
        /// <summary>y = x0 − x1, broadcast as in NumPy.</summary>
        public static Variable Sub(Variable x0, Variable x1) => new Sub().Call(x0, x1)[0];

        /// <summary>y = x − c, one kernel; c takes x's element type.</summary>
        public static Variable Sub(Variable x, double c) => Affine.Of(x, 1, -c);

        /// <summary>y = c − x, one kernel; c takes x's element type.</summary>
        public static Variable Sub(double c, Variable x) => Affine.Of(x, -1, c);
    }

    public partial class Variable
    {
        /// <summary>y = a − b (<see cref="F.Sub(Variable, Variable)"/>).</summary>
        public static Variable operator -(Variable a, Variable b) => F.Sub(a, b);

        /// <summary>y = a − c (<see cref="F.Sub(Variable, double)"/>).</summary>
        public static Variable operator -(Variable a, double c) => F.Sub(a, c);

        /// <summary>y = c − a (<see cref="F.Sub(double, Variable)"/>).</summary>
        public static Variable operator -(double c, Variable a) => F.Sub(c, a);
    }
}
