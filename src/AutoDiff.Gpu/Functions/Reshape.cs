namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = reshape(x, shape)</c>, a view of x's data (no copy; one dimension may be -1); backward
    /// <c>gx = reshape(gy, x.shape)</c>.
    /// </summary>
    /// <param name="dims">The new dimensions.</param>
    public sealed class Reshape(params int[] dims) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            try
            {
                return [xs[0].ViewAs(xs[0].Shape.Reshape(dims))];
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Name}: {e.Message}", e);
            }
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [F.Reshape(gys[0], Input(0).Shape.ToArray())];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>x with the same elements in <paramref name="dims"/> (one may be -1); x itself when the shape is unchanged.</summary>
        public static Variable Reshape(Variable x, params int[] dims)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(dims);
            return x.Shape.Dimensions.SequenceEqual(dims) ? x : new Functions.Reshape(dims).Call(x)[0];
        }
    }

    public partial class Variable
    {
        /// <summary>The same elements in another shape (<see cref="F.Reshape"/>).</summary>
        public Variable Reshape(params int[] dims) => F.Reshape(this, dims);
    }
}
