namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = broadcast_to(x, shape)</c> (NumPy's rules; pending while fused, else materialized); backward
    /// <c>gx = sum_to(gy, x.shape)</c>.
    /// </summary>
    /// <param name="shape">The shape to broadcast to.</param>
    public sealed class BroadcastTo(Shape shape) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var x = xs[0];
            if (!x.Shape.BroadcastsTo(shape))
                throw new ArgumentException($"{Name}: {x.Shape} does not broadcast to {shape} (aligned on the right, each dimension must be equal or 1)");
            return [Launch.Broadcast(x, shape, x.Shape.BroadcastStrides(shape), default(Kernels.IdentityOperator))];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [F.SumTo(gys[0], Input(0).Shape)];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>x broadcast to <paramref name="shape"/> (NumPy's <c>broadcast_to</c>); x itself when it already has that shape.</summary>
        public static Variable BroadcastTo(Variable x, Shape shape) => ToShape(x, shape, static s => new Functions.BroadcastTo(s));
    }
}
