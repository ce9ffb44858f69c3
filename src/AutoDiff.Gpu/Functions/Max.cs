using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = max x</c> over the given axes (all when none), the reduced axes kept as 1 with keepDims;
    /// backward <c>gx = (x == y) · gy</c>, y and gy broadcast back to x's shape (<see cref="WhereEqual"/>): as
    /// in DeZero, every element equal to the maximum (each of a tie) gets the gradient.
    /// </summary>
    /// <param name="axes">The axes to reduce (negative counts from the end); none for all.</param>
    /// <param name="keepDims">Keep the reduced axes as size 1.</param>
    public sealed class Max(int[] axes, bool keepDims) : Extremum<MaxReduction>(axes, keepDims);

    /// <summary>
    /// Max and min: one reduction forward; backward routes gy to the elements equal to the result
    /// (<see cref="WhereEqual"/>).
    /// </summary>
    /// <typeparam name="TReduce">The reduction (<see cref="MaxReduction"/> or <see cref="MinReduction"/>).</typeparam>
    /// <param name="axes">The axes to reduce (negative counts from the end); none for all.</param>
    /// <param name="keepDims">Keep the reduced axes as size 1.</param>
    public abstract class Extremum<TReduce>(int[] axes, bool keepDims) : Function
        where TReduce : struct, IReduction
    {
        /// <summary>The axes reduced (negative counts from the end); none for all.</summary>
        internal IReadOnlyList<int> Axes => axes;

        /// <summary>Whether the reduced axes stay as size 1.</summary>
        internal bool KeepDims => keepDims;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            // As NumPy: a maximum or minimum of no elements has no value (a sum's is 0, a mean's NaN).
            if (xs[0].Shape.Length == 0 && Sum.KeptShape(xs[0].Shape, axes).Length > 0)
                throw new ArgumentException($"{Name}: shape {xs[0].Shape} over {(axes.Length == 0 ? "all axes" : $"axes ({string.Join(", ", axes)})")} reduces an axis of size 0, and the {Name.ToLowerInvariant()} of no elements is undefined");
            return [Launch.Reduce<TReduce, IdentityOperator>(xs[0], axes, keepDims)];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var x = Input(0);
            // The output when it is still alive; else the reduction again (a constant: no graph is needed for it).
            var y = Output(0) is { IsDisposed: false } live ? live : new Variable(Launch.Reduce<TReduce, IdentityOperator>(x.Data, axes, keepDims));
            return [WhereEqual.Of(x, y, gys[0], Sum.KeptShape(x.Shape, axes))];
        }
    }

    /// <summary>
    /// Forward <c>y = (x == m) · g</c> with m and g broadcast to x's shape (m is read as <c>kept</c>, g as
    /// <c>kept</c> or x's shape): the gradient of a max or min, m the result, g its gradient; two launches (the
    /// mask, then the product in place). m is a constant, as in DeZero, so x and m get no gradient; backward
    /// <c>gg = sum_to((x == m) · ggy, g's shape)</c>.
    /// </summary>
    /// <param name="kept">The shape of the reduction with its axes kept as 1.</param>
    public sealed class WhereEqual(Shape kept) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 3;

        /// <summary>(x == m) · g, m and g broadcast to x's shape.</summary>
        public static Variable Of(Variable x, Variable m, Variable g, Shape kept) => new WhereEqual(kept).Call(x, m, g)[0];

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var (x, m, g) = (xs[0], xs[1], xs[2]);
            if (m.Length != kept.Length || (g.Length != kept.Length && !g.Shape.Equals(x.Shape)) || !kept.BroadcastsTo(x.Shape))
                throw new ArgumentException($"{Name}: a reduction {m.Shape} and its gradient {g.Shape} do not fit {x.Shape} reduced to {kept}");
            var mk = AsKept(m);
            var gk = AsKept(g);
            try
            {
                var y = Launch.Zip(Name, x, mk, default(EqualMaskOperator));
                Launch.ZipInto(Name, y, gk, default(MulOperator));
                return [y];
            }
            finally
            {
                // The temporary views go now, so that m and g are freed as soon as their owners let them go.
                if (!ReferenceEquals(mk, m))
                    mk.Dispose();
                if (!ReferenceEquals(gk, g))
                    gk.Dispose();
            }
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var g = Input(2);
            var masked = Of(Input(0), Input(1), gys[0], kept);
            return [null, null, g.Shape.Equals(masked.Shape) ? masked : F.Reshape(F.SumTo(masked, kept), g.Shape.ToArray())];
        }

        /// <summary>t viewed as the kept shape when it has the reduction's elements (a temporary view when its shape differs).</summary>
        private Tensor AsKept(Tensor t) => t.Shape.Equals(kept) || t.Length != kept.Length ? t : t.ViewAs(kept);
    }

    /// <summary>a == b ? 1 : 0</summary>
    public readonly struct EqualMaskOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a == b ? T.One : T.Zero;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => Vector.ConditionalSelect(Vector.Equals(a, b), Vector<T>.One, Vector<T>.Zero);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>The largest element: a scalar.</summary>
        public static Variable Max(Variable x) => new Functions.Max([], false).Call(x)[0];

        /// <summary>The maximum over <paramref name="axes"/> (negative counts from the end), the reduced axes kept as 1 with <paramref name="keepDims"/>.</summary>
        public static Variable Max(Variable x, int[] axes, bool keepDims = false)
        {
            ArgumentNullException.ThrowIfNull(axes);
            return new Functions.Max((int[])axes.Clone(), keepDims).Call(x)[0];
        }

        /// <summary>The maximum over one axis (negative counts from the end).</summary>
        public static Variable Max(Variable x, int axis, bool keepDims = false) => new Functions.Max([axis], keepDims).Call(x)[0];
    }
}
