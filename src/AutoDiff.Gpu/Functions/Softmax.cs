using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = exp(x − max(x)) / Σ exp(x − max(x))</c> along an axis (max and Σ over it; subtracting the
    /// max keeps exp from overflowing): a max, an exp of the difference, a sum and a quotient, four launches.
    /// Backward <c>gx = y·(gy − Σ(gy·y))</c> along the axis, from elementwise functions and a sum: four launches,
    /// as a fused form over these kernels would take, and every order of derivative.
    /// </summary>
    /// <param name="axis">The axis (negative counts from the end).</param>
    public sealed class Softmax(int axis = -1) : Function
    {
        /// <summary>The axis (negative counts from the end).</summary>
        internal int Axis => axis;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Of(Name, xs[0], axis)];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            // A collected output had no gradient but zeros: a value recomputed outside the graph gives the same.
            var y = Output(0) ?? new Variable(Of(Name, Input(0).Data, axis));
            return [GradientOf(y, gys[0], axis)];
        }

        /// <summary>The softmax of x along <paramref name="axis"/>, as kernels.</summary>
        internal static Tensor Of(string name, Tensor x, int axis)
        {
            int a = CheckAxis(name, x.Shape, axis);
            var max = Launch.Reduce<MaxReduction, IdentityOperator>(x, [a], keepDims: true);
            var e = Launch.Zip(name, x, max, default(ExpOfDifferenceOperator));
            max.Dispose();
            var sum = Launch.Reduce<SumReduction, IdentityOperator>(e, [a], keepDims: true);
            var y = Launch.Zip(name, e, sum, default(DivOperator));
            e.Dispose();
            sum.Dispose();
            return y;
        }

        /// <summary><c>y·(gy − Σ(gy·y))</c> along <paramref name="axis"/>, written as <c>p − y·Σp</c> with <c>p = y·gy</c>: the gradient through a softmax of output y.</summary>
        internal static Variable GradientOf(Variable y, Variable gy, int axis)
        {
            var p = y * gy;
            return p - (y * F.Sum(p, axis, keepDims: true));
        }

        /// <summary>The axis counted from the start; the error names the function, the axis and the shape.</summary>
        internal static int CheckAxis(string name, Shape shape, int axis)
        {
            if (axis < -shape.Rank || axis >= shape.Rank)
                throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{name}: axis {axis} is out of range for shape {shape} (rank {shape.Rank})");
            return shape.Axis(axis);
        }
    }

    /// <summary>exp(a − b)</summary>
    public readonly struct ExpOfDifferenceOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Exp(a - b);

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => ElementaryMath.Exp(a - b);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// The softmax along <paramref name="axis"/> (default 1, DeZero's: the classes of an (N, C) batch; −1 is the
        /// last): <c>exp(x) / Σ exp(x)</c> over the axis, computed as <c>exp(x − max x)</c> so that large inputs do
        /// not overflow.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The axis is out of range for x's shape (the message names both).</exception>
        public static Variable Softmax(Variable x, int axis = 1) => new Functions.Softmax(axis).Call(x)[0];
    }
}
