using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = x0·x1</c>, broadcast as in NumPy; backward <c>gx0 = sum_to(gy·x1, x0.shape)</c>,
    /// <c>gx1 = sum_to(gy·x0, x1.shape)</c> (each product one kernel, itself a <see cref="Mul"/>).
    /// </summary>
    public sealed class Mul : BinaryFunction<MulOperator>
    {
        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            Variable x0 = Input(0), x1 = Input(1), gy = gys[0];
            return [Broadcasting.SumToFreeing(F.Mul(gy, x1), x0.Shape), Broadcasting.SumToFreeing(F.Mul(gy, x0), x1.Shape)];
        }
    }

    /// <summary>a·b</summary>
    public readonly struct MulOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a * b;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a * b;
    }
}

namespace AutoDiff.Gpu
{
    using Functions;

    public static partial class F
    {
        /// <summary>y = x0·x1, broadcast as in NumPy.</summary>
        public static Variable Mul(Variable x0, Variable x1) => new Mul().Call(x0, x1)[0];

        /// <summary>y = x·c, one kernel; c takes x's element type.</summary>
        public static Variable Mul(Variable x, double c) => Affine.Of(x, c, Affine.NoTerm);

        /// <summary>y = c·x, one kernel; c takes x's element type.</summary>
        public static Variable Mul(double c, Variable x) => Affine.Of(x, c, Affine.NoTerm);
    }

    public partial class Variable
    {
        /// <summary>y = a·b (<see cref="F.Mul(Variable, Variable)"/>).</summary>
        public static Variable operator *(Variable a, Variable b) => F.Mul(a, b);

        /// <summary>y = a·c (<see cref="F.Mul(Variable, double)"/>).</summary>
        public static Variable operator *(Variable a, double c) => F.Mul(a, c);

        /// <summary>y = c·a (<see cref="F.Mul(double, Variable)"/>).</summary>
        public static Variable operator *(double c, Variable a) => F.Mul(c, a);
    }
}
