using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = Σ x / count</c> over the given axes (all when none), count the number of elements summed
    /// into each one of y (one reduction with the scale in its last launch); backward
    /// <c>gx = broadcast_to(reshape(gy, kept shape), x.shape) / count</c> (<see cref="MeanGrad"/>, one launch).
    /// </summary>
    /// <param name="axes">The axes to average over (negative counts from the end); none for all.</param>
    /// <param name="keepDims">Keep the reduced axes as size 1.</param>
    public sealed class Mean(int[] axes, bool keepDims) : Function
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
            var x = xs[0];
            long count = x.Length / Sum.KeptShape(x.Shape, axes).Length;
            return [Launch.Reduce<SumReduction, ScaleOperator>(x, axes, keepDims, new ScaleOperator(1.0 / count))];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [MeanGrad.Of(gys[0], Input(0).Shape, axes)];
    }

    /// <summary>
    /// Forward <c>gx = broadcast_to(reshape(gy, kept shape), shape) / count</c>, the gradient of a mean over
    /// <c>axes</c> of a tensor of <c>shape</c>, as one strided launch (pending while fused); backward
    /// <c>ggy = reshape(mean(ggx, axes), gy.shape)</c>
    /// (a <see cref="Mean"/> again, so every order of derivative stays one launch each).
    /// </summary>
    /// <param name="shape">The shape of the mean's input.</param>
    /// <param name="axes">The axes the mean reduced (none for all).</param>
    public sealed class MeanGrad(Shape shape, int[] axes) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <summary>The gradient of a mean over <paramref name="axes"/> of a tensor of <paramref name="shape"/>.</summary>
        public static Variable Of(Variable gy, Shape shape, int[] axes) => new MeanGrad(shape, axes).Call(gy)[0];

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var gy = xs[0];
            var kept = Sum.KeptShape(shape, axes);
            if (gy.Length != kept.Length)
                throw new ArgumentException($"{Name}: a gradient {gy.Shape} does not fit a mean of {shape} to {kept}");
            long count = shape.Length / kept.Length;
            return [Launch.Broadcast(gy, shape, kept.BroadcastStrides(shape), new ScaleOperator(1.0 / count))];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) =>
            [F.Reshape(new Mean(axes, keepDims: true).Call(gys[0])[0], Input(0).Shape.ToArray())];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>The mean of every element: a scalar.</summary>
        public static Variable Mean(Variable x) => new Functions.Mean([], false).Call(x)[0];

        /// <summary>The mean over <paramref name="axes"/> (negative counts from the end), the reduced axes kept as 1 with <paramref name="keepDims"/>.</summary>
        public static Variable Mean(Variable x, int[] axes, bool keepDims = false)
        {
            ArgumentNullException.ThrowIfNull(axes);
            return new Functions.Mean((int[])axes.Clone(), keepDims).Call(x)[0];
        }

        /// <summary>The mean over one axis (negative counts from the end).</summary>
        public static Variable Mean(Variable x, int axis, bool keepDims = false) => new Functions.Mean([axis], keepDims).Call(x)[0];
    }
}
