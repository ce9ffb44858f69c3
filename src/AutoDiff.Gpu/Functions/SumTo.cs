namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = sum_to(x, shape)</c>: x summed over its leading axes and the axes where the shape is 1, so
    /// that y has the shape (the adjoint of broadcasting); backward <c>gx = broadcast_to(gy, x.shape)</c>.
    /// </summary>
    /// <param name="shape">The shape to sum to; x's shape must be a broadcast of it.</param>
    public sealed class SumTo(Shape shape) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var x = xs[0];
            int[] axes;
            try
            {
                axes = x.Shape.SumToAxes(shape);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Name}: {e.Message}", e);
            }
            var sum = Launch.Reduce<Kernels.SumReduction, Kernels.IdentityOperator>(x, axes, keepDims: true);
            return [Launch.Reshaped(sum, shape)];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [F.BroadcastTo(gys[0], Input(0).Shape)];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>x summed to <paramref name="shape"/> (DeZero's <c>sum_to</c>); x itself when it already has that shape.</summary>
        public static Variable SumTo(Variable x, Shape shape) => ToShape(x, shape, static s => new Functions.SumTo(s));
    }
}
