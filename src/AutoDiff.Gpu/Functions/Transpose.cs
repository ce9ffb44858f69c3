namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = transpose(x, axes)</c>: axis i of y is axis <c>axes[i]</c> of x (one strided copy; no axes
    /// reverses them, as NumPy's <c>x.T</c>); backward <c>gx = transpose(gy, argsort(axes))</c>, the inverse
    /// permutation.
    /// </summary>
    /// <param name="axes">A permutation of x's axes (negative counts from the end), or none to reverse them.</param>
    public sealed class Transpose(params int[] axes) : Function
    {
        private int[] order = [];

        /// <summary>The permutation applied, axes counted from the start (known once called).</summary>
        internal IReadOnlyList<int> Order => order;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var x = xs[0];
            order = Permutation(Name, x.Shape, axes);
            var strides = x.Shape.Strides();
            var dims = new int[order.Length];
            var permuted = new long[order.Length];
            for (int i = 0; i < order.Length; i++)
            {
                dims[i] = x.Shape[order[i]];
                permuted[i] = strides[order[i]];
            }
            return [Launch.Gather(x, new Shape(dims), permuted)];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var inverse = new int[order.Length];
            for (int i = 0; i < order.Length; i++)
                inverse[order[i]] = i;
            return [F.Transpose(gys[0], inverse)];
        }

        /// <summary>
        /// <paramref name="axes"/> as a permutation of <paramref name="shape"/>'s axes, negative ones counted from
        /// the end; none reverses the axes. The error names the axes and the shape.
        /// </summary>
        internal static int[] Permutation(string name, Shape shape, int[] axes)
        {
            int rank = shape.Rank;
            if (axes.Length == 0)
                return Enumerable.Range(0, rank).Reverse().ToArray();
            string Describe() => $"axes ({string.Join(", ", axes)}) for shape {shape}";
            if (axes.Length != rank)
                throw new ArgumentException($"{name}: {Describe()}: give one axis per dimension ({rank}), each once");
            var order = new int[rank];
            var seen = new bool[rank];
            for (int i = 0; i < rank; i++)
            {
                int a = axes[i] < 0 ? axes[i] + rank : axes[i];
                if (a < 0 || a >= rank)
                    throw new ArgumentOutOfRangeException(nameof(axes), axes[i], $"{name}: axis {axes[i]} is out of range for shape {shape} (rank {rank}) in axes ({string.Join(", ", axes)})");
                if (seen[a])
                    throw new ArgumentException($"{name}: {Describe()}: axis {axes[i]} is repeated; give each axis once");
                seen[a] = true;
                order[i] = a;
            }
            return order;
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// x with its axes permuted: axis i of the result is axis <c>axes[i]</c> of x (negative counts from the
        /// end); no axes reverses them (NumPy's <c>transpose</c>). x itself when the order changes nothing.
        /// </summary>
        public static Variable Transpose(Variable x, params int[] axes)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(axes);
            var order = Functions.Transpose.Permutation(nameof(Transpose), x.Shape, axes);
            // Axes of size 1 may move freely: when the others keep their order the data is unchanged, a view.
            var moved = order.Where(a => x.Shape[a] != 1).ToArray();
            bool inOrder = moved.Zip(moved.Skip(1)).All(p => p.First < p.Second);
            return inOrder ? Reshape(x, order.Select(a => x.Shape[a]).ToArray()) : new Functions.Transpose(order).Call(x)[0];
        }
    }

    public partial class Variable
    {
        /// <summary>The axes reversed (NumPy's <c>x.T</c>; the matrix transpose of a 2-D variable).</summary>
        public Variable T => F.Transpose(this);

        /// <summary>The axes permuted (<see cref="F.Transpose"/>); none reverses them.</summary>
        public Variable Transpose(params int[] axes) => F.Transpose(this, axes);
    }
}
