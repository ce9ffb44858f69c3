using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = Σ x</c> over the given axes (all when none), the reduced axes kept as 1 with keepDims;
    /// backward <c>gx = broadcast_to(reshape(gy, kept shape), x.shape)</c>.
    /// </summary>
    /// <param name="axes">The axes to sum over (negative counts from the end); none for all.</param>
    /// <param name="keepDims">Keep the reduced axes as size 1.</param>
    public sealed class Sum(int[] axes, bool keepDims) : Function
    {
        /// <summary>The axes reduced (negative counts from the end); none for all.</summary>
        internal IReadOnlyList<int> Axes => axes;

        /// <summary>Whether the reduced axes stay as size 1.</summary>
        internal bool KeepDims => keepDims;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.Reduce<SumReduction, IdentityOperator>(xs[0], axes, keepDims)];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var shape = Input(0).Shape;
            return [F.BroadcastTo(F.Reshape(gys[0], KeptShape(shape, axes).ToArray()), shape)];
        }

        /// <summary>The shape of a reduction of <paramref name="shape"/> over <paramref name="axes"/> with the reduced axes kept as 1.</summary>
        internal static Shape KeptShape(Shape shape, int[] axes)
        {
            var dims = shape.ToArray();
            if (axes.Length == 0)
                Array.Fill(dims, 1);
            foreach (int axis in axes)
                dims[shape.Axis(axis)] = 1;
            return new Shape(dims);
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>The sum of every element: a scalar.</summary>
        public static Variable Sum(Variable x) => new Functions.Sum([], false).Call(x)[0];

        /// <summary>The sum over <paramref name="axes"/> (negative counts from the end), the reduced axes kept as 1 with <paramref name="keepDims"/>.</summary>
        public static Variable Sum(Variable x, int[] axes, bool keepDims = false)
        {
            ArgumentNullException.ThrowIfNull(axes);
            return new Functions.Sum((int[])axes.Clone(), keepDims).Call(x)[0];
        }

        /// <summary>The sum over one axis (negative counts from the end).</summary>
        public static Variable Sum(Variable x, int axis, bool keepDims = false) => new Functions.Sum([axis], keepDims).Call(x)[0];
    }

    public partial class Variable
    {
        /// <summary>The sum of every element (DeZero's <c>x.sum()</c>; <see cref="F.Sum(Variable)"/>).</summary>
        public Variable Sum() => F.Sum(this);

        /// <summary>The sum over <paramref name="axes"/> (DeZero's <c>x.sum(axis, keepdims)</c>; <see cref="F.Sum(Variable, int[], bool)"/>).</summary>
        public Variable Sum(int[] axes, bool keepDims = false) => F.Sum(this, axes, keepDims);

        /// <summary>The sum over one axis (<see cref="F.Sum(Variable, int, bool)"/>).</summary>
        public Variable Sum(int axis, bool keepDims = false) => F.Sum(this, axis, keepDims);
    }
}
