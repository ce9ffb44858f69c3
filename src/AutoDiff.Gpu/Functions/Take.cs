namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Where a <see cref="Take"/> reads: x is viewed as (outer, n, inner) with n the axes [Axis, Axis + Span)
    /// merged (row-major); <see cref="PerSlice"/> false takes the same index list in every outer slice (y has
    /// those axes replaced by one of the list's length), true takes one index per outer slice and drops them.
    /// </summary>
    /// <param name="Axis">The first indexed axis.</param>
    /// <param name="Span">How many adjacent axes the indices run over (flat, row-major).</param>
    /// <param name="PerSlice">One index per outer slice (<c>x[arange(N), t]</c>) instead of one shared list.</param>
    internal readonly record struct TakeGeometry(int Axis, int Span, bool PerSlice)
    {
        /// <summary>(outer, n, inner) of x, and y's shape for <paramref name="count"/> indices.</summary>
        public (long Outer, long N, long Inner, Shape Result) For(Shape x, int count)
        {
            long outer = 1, n = 1, inner = 1;
            var dims = new List<int>();
            for (int i = 0; i < x.Rank; i++)
            {
                if (i < Axis)
                {
                    outer *= x[i];
                    dims.Add(x[i]);
                }
                else if (i < Axis + Span)
                {
                    n *= x[i];
                    if (i == Axis && !PerSlice)
                        dims.Add(count);
                }
                else
                {
                    inner *= x[i];
                    dims.Add(x[i]);
                }
            }
            return (outer, n, inner, new Shape([.. dims]));
        }
    }

    /// <summary>
    /// Forward <c>y = take(x, indices)</c> along adjacent axes merged (NumPy's <c>x[idx]</c>, <c>x[:, idx]</c>,
    /// <c>x[i, j]</c> for arrays i and j, <c>x[arange(N), t]</c>), one gather launch; backward
    /// <c>gx = scatter_add(zeros(x.shape), indices, gy)</c> (<see cref="TakeGrad"/>): repeated indices accumulate.
    /// When the indices are a permutation of the axis (a reversal, a shuffle) the backward is instead
    /// <c>gx = take(gy, inverse)</c>, one gather with no clearing and no atomic adds. The indices go to the
    /// device once and serve the forward and every backward.
    /// </summary>
    public sealed class Take : Function
    {
        private readonly int[]? hostIndices;
        private readonly TakeGeometry geometry;
        private IndexBuffer? indices;
        private int[]? inverseHost;
        private IndexBuffer? inverse;

        /// <summary>Takes <paramref name="indices"/> along <paramref name="axis"/> (NumPy's <c>take</c>): the axis is replaced by one of the indices' length.</summary>
        /// <param name="indices">Positions along the axis (negative counts from the end), repeats allowed.</param>
        /// <param name="axis">The axis (negative counts from the end).</param>
        public Take(int[] indices, int axis = 0)
            : this(indices, new TakeGeometry(axis, 1, PerSlice: false))
        {
        }

        internal Take(int[] indices, TakeGeometry geometry)
        {
            ArgumentNullException.ThrowIfNull(indices);
            hostIndices = (int[])indices.Clone();
            this.geometry = geometry;
        }

        /// <summary>
        /// Takes with indices already on the device and checked (the backward of <see cref="TakeGrad"/>, or of a
        /// permutation, whose <paramref name="inverse"/> is then known).
        /// </summary>
        internal Take(IndexBuffer indices, TakeGeometry geometry, IndexBuffer? inverse = null)
        {
            this.indices = indices;
            this.geometry = geometry;
            this.inverse = inverse;
        }

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var x = xs[0];
            var g = geometry with { Axis = Axis(x.Shape) };
            int count = g.PerSlice ? 1 : hostIndices?.Length ?? indices!.Length;
            var (outer, n, inner, shape) = g.For(x.Shape, count);
            bool upload = indices is null;
            if (upload)
            {
                var list = Checked(x.Shape, g, outer, n);
                indices = new IndexBuffer(x.Device, list);
                if (!g.PerSlice && list.Length == n && Config.EnableBackprop)
                    inverseHost = InversePermutation(list);
            }
            var y = Launch.Take(x, indices!, shape, outer, n, inner, g.PerSlice);
            if (upload && !Config.EnableBackprop)
            {
                // Nothing will differentiate this call: the indices go back to the pool now, not at a collection.
                indices!.Release();
                indices = null;
            }
            return [y];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var x = Input(0);
            var g = geometry with { Axis = Axis(x.Shape) };
            // Backward passes on several threads may share this function: the first upload of the inverse wins.
            if (Volatile.Read(ref inverse) is null && inverseHost is not null)
                Interlocked.CompareExchange(ref inverse, new IndexBuffer(x.Device, inverseHost), null);
            return inverse is not null
                ? [new Take(inverse, g, inverse: indices).Call(gys[0])[0]]
                : [new TakeGrad(indices!, g, x.Shape).Call(gys[0])[0]];
        }

        /// <summary>The inverse of <paramref name="list"/> when it holds each of 0 … n − 1 once (n its length), else null.</summary>
        private static int[]? InversePermutation(int[] list)
        {
            var inverse = new int[list.Length];
            Array.Fill(inverse, -1);
            for (int j = 0; j < list.Length; j++)
            {
                if (inverse[list[j]] >= 0)
                    return null;
                inverse[list[j]] = j;
            }
            return inverse;
        }

        private int Axis(Shape shape)
        {
            int axis = geometry.Axis < 0 ? geometry.Axis + shape.Rank : geometry.Axis;
            if (axis < 0 || axis + geometry.Span > shape.Rank)
                throw new ArgumentOutOfRangeException(nameof(shape), geometry.Axis, $"{Name}: axis {geometry.Axis} is out of range for shape {shape} (rank {shape.Rank})");
            return axis;
        }

        /// <summary>The host indices in [0, n), negative ones counted from the end; the error names the index, its position, the axis and the shape.</summary>
        private int[] Checked(Shape shape, TakeGeometry g, long outer, long n)
        {
            var list = hostIndices!;
            if (g.PerSlice && list.Length != outer)
                throw new ArgumentException($"{Name}: {list.Length} indices for the {outer} slices before axis {g.Axis} of shape {shape}: give one index per slice");
            var result = new int[list.Length];
            for (int i = 0; i < list.Length; i++)
            {
                long index = list[i] < 0 ? list[i] + n : list[i];
                if (index < 0 || index >= n)
                    throw new ArgumentOutOfRangeException($"{Name}: index {list[i]} at position {i} is out of range for axis {g.Axis} of size {n} in shape {shape}", innerException: null);
                result[i] = (int)index;
            }
            return result;
        }
    }

    /// <summary>
    /// Forward <c>gx = scatter_add(zeros(shape), indices, gy)</c>, the gradient of a <see cref="Take"/> (one clear
    /// and one scatter-add launch; repeated indices accumulate); backward <c>ggy = take(ggx, indices)</c>, a
    /// <see cref="Take"/> again, so every order of derivative works.
    /// </summary>
    public sealed class TakeGrad : Function
    {
        private readonly IndexBuffer indices;
        private readonly TakeGeometry geometry;
        private readonly Shape shape;

        internal TakeGrad(IndexBuffer indices, TakeGeometry geometry, Shape shape)
        {
            this.indices = indices;
            this.geometry = geometry;
            this.shape = shape;
        }

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var (outer, n, inner, result) = geometry.For(shape, geometry.PerSlice ? 1 : indices.Length);
            if (!xs[0].Shape.Equals(result))
                throw new ArgumentException($"{Name}: a gradient {xs[0].Shape} does not fit a take from {shape}, which gave {result}");
            return [Launch.ScatterAdd(xs[0], indices, shape, outer, n, inner, geometry.PerSlice)];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [new Take(indices, geometry).Call(gys[0])[0]];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// The entries of x at <paramref name="indices"/> along <paramref name="axis"/> (NumPy's <c>take</c>; an
        /// embedding lookup <c>W[ids]</c> with axis 0): that axis is replaced by one of the indices' length;
        /// negative indices count from the end, repeats are allowed and their gradients add up.
        /// </summary>
        public static Variable Take(Variable x, int[] indices, int axis = 0) => new Functions.Take(indices, axis).Call(x)[0];

        /// <summary>
        /// One entry per row, DeZero's <c>x[np.arange(N), t]</c> (the picked log-probabilities of a softmax
        /// cross-entropy): for x of shape (N, C, …) and t of N class indices, <c>y[i, …] = x[i, t[i], …]</c>, of
        /// shape (N, …). Negative indices count from the end; the gradient goes to the picked entries only.
        /// </summary>
        /// <exception cref="ArgumentException">x has fewer than 2 axes, or t does not hold one index per row.</exception>
        /// <exception cref="ArgumentOutOfRangeException">An index is outside [−C, C); the message names it, its row and the shape.</exception>
        public static Variable PickPerRow(Variable x, int[] t)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(t);
            if (x.NDim < 2)
                throw new ArgumentException($"PickPerRow: x must have rows and columns (2 axes or more), got shape {x.Shape}", nameof(x));
            return new Functions.Take(t, new Functions.TakeGeometry(1, 1, PerSlice: true)).Call(x)[0];
        }

        /// <summary>
        /// DeZero's <c>embed_id</c>: the rows <c>W[ids]</c> of the embedding matrix <paramref name="w"/> (V, D), an
        /// (ids.Length, D) gather on the device whose backward adds each row's gradient into W's row (repeated ids
        /// accumulate). Negative ids count from the end, as NumPy's.
        /// </summary>
        /// <exception cref="ArgumentException">W is not a matrix.</exception>
        /// <exception cref="ArgumentOutOfRangeException">An id is outside [−V, V).</exception>
        public static Variable EmbedId(int[] ids, Variable w)
        {
            ArgumentNullException.ThrowIfNull(ids);
            ArgumentNullException.ThrowIfNull(w);
            if (w.NDim != 2)
                throw new ArgumentException($"EmbedId: W must be a matrix (V, D), not {w.Shape}", nameof(w));
            return Take(w, ids, axis: 0);
        }

        /// <summary>
        /// <see cref="EmbedId(int[], Variable)"/> of ids already on the device, of any shape: the result has their
        /// shape followed by D (DeZero's <c>W[ids]</c>). Their range is checked from the values they were made of.
        /// </summary>
        /// <exception cref="ArgumentException">W is not a matrix, or the ids are on another device.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The ids' range leaves [−V, V).</exception>
        public static Variable EmbedId(IndexTensor ids, Variable w)
        {
            ArgumentNullException.ThrowIfNull(ids);
            ArgumentNullException.ThrowIfNull(w);
            ids.ThrowIfDisposed();
            if (w.NDim != 2)
                throw new ArgumentException($"EmbedId: W must be a matrix (V, D), not {w.Shape}", nameof(w));
            int v = w.Shape[0];
            if (ids.Length > 0 && (ids.Min < -v || ids.Max >= v))
                throw new ArgumentOutOfRangeException(nameof(ids), $"EmbedId: the ids range over [{ids.Min}, {ids.Max}], beyond the {v} rows of W {w.Shape}: ids are in [−{v}, {v})");
            var rows = new Functions.Take(ids.Buffer, new Functions.TakeGeometry(0, 1, PerSlice: false)).Call(w)[0];
            return Reshape(rows, [.. ids.Shape.ToArray(), w.Shape[1]]);
        }
    }
}
