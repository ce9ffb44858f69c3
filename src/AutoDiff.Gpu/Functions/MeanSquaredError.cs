using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = Σ (x0 − x1)² / len(x0)</c>, len the first dimension (DeZero's <c>mean_squared_error</c>), as one
    /// elementwise kernel and one reduction; backward <c>gx0 = 2·(x0 − x1)·gy / len</c>, <c>gx1 = −gx0</c>, both from
    /// one fused function (<see cref="MeanSquaredErrorGrad"/>).
    /// </summary>
    public sealed class MeanSquaredError : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [SumOverLen<SquaredDifferenceOperator>(Name, xs[0], xs[1])];

        /// <summary><c>Σ op(x0, x1) / len(x0)</c> for operands of one shape: one elementwise kernel and one reduction.</summary>
        internal static Tensor SumOverLen<TOp>(string name, Tensor x0, Tensor x1)
            where TOp : struct, IBinaryOperator
        {
            int len = CheckOperands(name, x0, x1);
            var terms = Launch.Zip(name, x0, x1, default(TOp));
            var loss = Launch.Reduce<SumReduction, ScaleOperator>(terms, [], false, new ScaleOperator(1.0 / len));
            terms.Dispose();
            return loss;
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => MeanSquaredErrorGrad.Of(Input(0), Input(1), gys[0]);

        /// <summary>Checks that x0 and x1 have one shape of at least one dimension; returns len(x0).</summary>
        internal static int CheckOperands(string name, Tensor x0, Tensor x1)
        {
            Launch.CheckCompatible(name, x0, x1);
            if (!x0.Shape.Equals(x1.Shape))
                throw new ArgumentException($"{name}: shapes differ ({x0.Shape} and {x1.Shape}); it compares two arrays of one shape");
            if (x0.Rank == 0)
                throw new ArgumentException($"{name}: the operands are scalars; it averages over the first dimension (len), so they need at least one");
            return x0.Shape[0];
        }
    }

    /// <summary>
    /// The fused backward of <see cref="MeanSquaredError"/>: forward <c>(g0, g1) = (c·gy·(x0 − x1), −c·gy·(x0 − x1))</c>
    /// with <c>c = 2 / len(x0)</c> and gy a scalar; backward, for output gradients h0 and h1 and <c>h = h0 − h1</c>:
    /// <c>gx0 = c·gy·h</c>, <c>gx1 = −c·gy·h</c> (this function again, of h0 and h1) and <c>ggy = c·Σ (x0 − x1)·h</c>.
    /// </summary>
    public sealed class MeanSquaredErrorGrad : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 3;

        /// <summary>(g0, g1) for x0, x1 and the scalar gy.</summary>
        public static Variable[] Of(Variable x0, Variable x1, Variable gy) => new MeanSquaredErrorGrad().Call(x0, x1, gy);

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            int len = MeanSquaredError.CheckOperands(Name, xs[0], xs[1]);
            Launch.CheckCompatible(Name, xs[0], xs[2]);
            if (xs[2].Length != 1)
                throw new ArgumentException($"{Name}: gy must hold one element (the loss's gradient), got {xs[2].Shape}");
            double c = 2.0 / len;
            var difference = Launch.Zip(Name, xs[0], xs[1], default(SubOperator));
            var gy = xs[2].Rank == 0 ? xs[2] : xs[2].ViewAs(Shape.Scalar);
            var g0 = Launch.Zip(Name, difference, gy, new ScaledProductOperator(c));
            var g1 = Launch.Zip(Name, difference, gy, new ScaledProductOperator(-c));
            difference.Dispose();
            if (!ReferenceEquals(gy, xs[2]))
                gy.Dispose();
            return [g0, g1];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var (x0, x1, gy) = (Input(0), Input(1), Input(2));
            var g = Of(gys[0], gys[1], gy);
            var h = gys[0] - gys[1];
            var ggy = F.Sum((x0 - x1) * h) * (2.0 / x0.Shape[0]);
            return [g[0], g[1], F.Reshape(ggy, gy.Shape.ToArray())];
        }
    }

    /// <summary>(a − b)²</summary>
    public readonly struct SquaredDifferenceOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T d = a - b;
            return d * d;
        }

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var d = a - b;
            return d * d;
        }
    }

    /// <summary>c·a·b</summary>
    /// <param name="c">The factor.</param>
    public struct ScaledProductOperator(double c) : IBinaryOperator
    {
        private Parameter c = c; // not readonly: see Parameter

        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => c.As<T>() * a * b;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => new Vector<T>(c.As<T>()) * a * b;
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// The mean squared error <c>Σ (x0 − x1)² / len(x0)</c> (len the first dimension, as DeZero's
        /// <c>mean_squared_error</c>): a scalar.
        /// </summary>
        /// <exception cref="ArgumentException">The shapes differ, or the operands are scalars.</exception>
        public static Variable MeanSquaredError(Variable x0, Variable x1) => new Functions.MeanSquaredError().Call(x0, x1)[0];
    }
}
