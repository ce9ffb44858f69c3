namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// What a <see cref="Slice"/> reads: element i of the result (shape <see cref="Result"/>) is element
    /// <c>Offset + Σ index·Strides</c> of a row-major tensor of shape <see cref="Source"/>.
    /// </summary>
    /// <param name="Source">The shape sliced.</param>
    /// <param name="Result">The result's shape.</param>
    /// <param name="Strides">Element strides into the source, one per dimension of the result (non-negative).</param>
    /// <param name="Offset">The element of the source where the result starts.</param>
    internal sealed record SliceGeometry(Shape Source, Shape Result, long[] Strides, long Offset);

    /// <summary>
    /// Forward <c>y = x[basic index]</c> (integers, slices of positive step, new axes), one strided copy; backward
    /// <c>gx = zeros(x.shape); gx[basic index] = gy</c> (<see cref="SliceGrad"/>, one strided scatter). DeZero's
    /// <c>GetItem</c> for what NumPy calls basic indexing; <see cref="F.GetItem"/> builds it.
    /// </summary>
    public sealed class Slice : Function
    {
        private readonly SliceGeometry geometry;

        internal Slice(SliceGeometry geometry) => this.geometry = geometry;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            if (!xs[0].Shape.Equals(geometry.Source))
                throw new ArgumentException($"{Name}: this slice of {geometry.Source} cannot read a tensor {xs[0].Shape}");
            return [Launch.Gather(xs[0], geometry.Result, geometry.Strides, geometry.Offset)];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [new SliceGrad(geometry).Call(gys[0])[0]];
    }

    /// <summary>
    /// Forward <c>gx = zeros(source shape); gx[basic index] = gy</c>, the gradient of a <see cref="Slice"/> (DeZero's
    /// <c>GetItemGrad</c>; a clear and one strided scatter); backward <c>ggy = ggx[basic index]</c>, a
    /// <see cref="Slice"/> again, so every order of derivative works.
    /// </summary>
    public sealed class SliceGrad : Function
    {
        private readonly SliceGeometry geometry;

        internal SliceGrad(SliceGeometry geometry) => this.geometry = geometry;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            if (!xs[0].Shape.Equals(geometry.Result))
                throw new ArgumentException($"{Name}: a gradient {xs[0].Shape} does not fit a slice of {geometry.Source} to {geometry.Result}");
            return [Launch.Scatter(xs[0], geometry.Source, geometry.Strides, geometry.Offset)];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [new Slice(geometry).Call(gys[0])[0]];
    }

    /// <summary>
    /// NumPy's indexing as a chain of functions: basic indexing (integers, slices, new axes) as one
    /// <see cref="Slice"/>; each negative step as a <see cref="Take"/> that reverses the axis; index arrays as one
    /// <see cref="Take"/> over their axes merged (after a <see cref="Transpose"/> that moves them first when
    /// NumPy puts the result's indexed axis first: index arrays and integers not adjacent).
    /// </summary>
    internal static class IndexExpression
    {
        public static Variable Apply(Variable x, TensorIndex[] index)
        {
            var shape = x.Shape;
            string Where() => $"x[{string.Join(", ", index.Select(i => i.ToString()))}] of shape {shape}";
            var entries = Expand(index, shape.Rank, Where);

            var strides = shape.Strides();
            long offset = 0;
            var dims = new List<int>();
            var steps = new List<long>();
            var reversed = new List<int>();
            var arrays = new List<(int Position, int[] Indices)>();
            var advanced = new List<int>();
            bool newAxis = false;
            int axis = 0;
            for (int e = 0; e < entries.Count; e++)
            {
                var entry = entries[e];
                if (entry.Kind == IndexKind.NewAxis)
                {
                    dims.Add(1);
                    steps.Add(0);
                    newAxis = true;
                    continue;
                }
                int n = shape[axis];
                switch (entry.Kind)
                {
                    case IndexKind.Integer:
                        long i = entry.Value < 0 ? entry.Value + (long)n : entry.Value;
                        if (i < 0 || i >= n)
                            throw new ArgumentOutOfRangeException($"GetItem: {Where()}: index {entry} is out of range for axis {axis} of size {n}", innerException: null);
                        offset += i * strides[axis];
                        advanced.Add(e);
                        break;
                    case IndexKind.Slice:
                        if (entry.Step == 0)
                            throw new ArgumentException($"GetItem: {Where()}: slice {entry} on axis {axis} has step 0", nameof(index));
                        var (start, length) = Resolve(entry, n);
                        long step = entry.Step;
                        if (length == 0)
                            (start, step) = (0, 1); // an empty axis, as NumPy's x[3:3]
                        else if (step < 0)
                        {
                            // Read the same elements forwards, then reverse the axis.
                            start += (length - 1) * step;
                            step = -step;
                            reversed.Add(dims.Count);
                        }
                        offset += start * strides[axis];
                        dims.Add(length);
                        steps.Add(step * strides[axis]);
                        break;
                    default:
                        arrays.Add((dims.Count, Normalized(entry, axis, n, Where)));
                        dims.Add(n);
                        steps.Add(strides[axis]);
                        advanced.Add(e);
                        break;
                }
                axis++;
            }
            if (arrays.Count > 0 && newAxis)
                throw new ArgumentException($"GetItem: {Where()}: NewAxis together with index arrays is not supported; reshape the result instead", nameof(index));

            var y = Basic(x, new SliceGeometry(shape, new Shape([.. dims]), [.. steps], offset));
            foreach (int p in reversed)
                y = Next(x, y, new Take(Enumerable.Range(0, dims[p]).Reverse().ToArray(), p).Call(y)[0]);
            return arrays.Count == 0 ? y : Advanced(x, y, arrays, advanced[^1] - advanced[0] == advanced.Count - 1, Where);
        }

        /// <summary>The next step's result; without a graph the previous intermediate goes back to the pool now.</summary>
        private static Variable Next(Variable x, Variable previous, Variable next)
        {
            if (!Config.EnableBackprop && !ReferenceEquals(previous, x) && !ReferenceEquals(previous, next))
                previous.Dispose();
            return next;
        }

        /// <summary>One entry per axis or new axis: the ellipsis (or the missing trailing axes) as full slices.</summary>
        private static List<TensorIndex> Expand(TensorIndex[] index, int rank, Func<string> where)
        {
            for (int i = 0; i < index.Length; i++)
            {
                if (index[i] is null)
                    throw new ArgumentNullException(nameof(index), $"GetItem: entry {i} of the index is null");
            }
            int consumed = index.Count(i => i.Kind is IndexKind.Integer or IndexKind.Slice or IndexKind.Array);
            int ellipses = index.Count(i => i.Kind == IndexKind.Ellipsis);
            if (ellipses > 1)
                throw new ArgumentException($"GetItem: {where()}: an index can have only one Ellipsis", nameof(index));
            if (consumed > rank)
                throw new ArgumentException($"GetItem: {where()}: too many indices ({consumed}) for {rank} ax{(rank == 1 ? "is" : "es")}", nameof(index));
            var entries = new List<TensorIndex>();
            foreach (var entry in index)
            {
                if (entry.Kind == IndexKind.Ellipsis)
                    entries.AddRange(Enumerable.Repeat(TensorIndex.All, rank - consumed));
                else
                    entries.Add(entry);
            }
            if (ellipses == 0)
                entries.AddRange(Enumerable.Repeat(TensorIndex.All, rank - consumed));
            return entries;
        }

        /// <summary>Python's <c>slice.indices(n)</c>: the first element and the number of elements.</summary>
        private static (long Start, int Length) Resolve(TensorIndex slice, int n)
        {
            long step = slice.Step;
            static long Clamp(int? bound, long n, long low, long high, long fallback) =>
                bound is not int b ? fallback : Math.Clamp(b < 0 ? b + n : b, low, high);
            if (step > 0)
            {
                long start = Clamp(slice.Start, n, 0, n, 0);
                long stop = Clamp(slice.Stop, n, 0, n, n);
                return (start, stop > start ? (int)((stop - start + step - 1) / step) : 0);
            }
            long first = Clamp(slice.Start, n, -1, n - 1, n - 1);
            long end = Clamp(slice.Stop, n, -1, n - 1, -1);
            return (first, first > end ? (int)((first - end - step - 1) / -step) : 0);
        }

        /// <summary>An index array's entries in [0, n); the error names the entry, its position, the axis and the shape.</summary>
        private static int[] Normalized(TensorIndex entry, int axis, int n, Func<string> where)
        {
            var list = entry.IndicesShared;
            var result = new int[list.Length];
            for (int i = 0; i < list.Length; i++)
            {
                long v = list[i] < 0 ? list[i] + (long)n : list[i];
                if (v < 0 || v >= n)
                    throw new ArgumentOutOfRangeException($"GetItem: {where()}: index {list[i]} at position {i} of the array for axis {axis} is out of range for size {n}", innerException: null);
                result[i] = (int)v;
            }
            return result;
        }

        /// <summary>The basic part: a view when it reads every element in order, else one <see cref="Slice"/>.</summary>
        private static Variable Basic(Variable x, SliceGeometry geometry)
        {
            var contiguous = geometry.Result.Strides();
            bool inOrder = geometry.Offset == 0 && geometry.Result.Length == geometry.Source.Length;
            for (int d = 0; d < contiguous.Length && inOrder; d++)
                inOrder = geometry.Result[d] == 1 || geometry.Strides[d] == contiguous[d];
            return inOrder ? F.Reshape(x, geometry.Result.ToArray()) : new Slice(geometry).Call(x)[0];
        }

        /// <summary>
        /// Index arrays at the given axes of y, paired (NumPy's advanced indexing, lengths equal or 1): one
        /// <see cref="Take"/> over their axes merged, the result's axis where they were when
        /// <paramref name="adjacent"/>, first otherwise.
        /// </summary>
        private static Variable Advanced(Variable x, Variable y, List<(int Position, int[] Indices)> arrays, bool adjacent, Func<string> where)
        {
            int count = arrays.Max(a => a.Indices.Length);
            if (arrays.Any(a => a.Indices.Length != count && a.Indices.Length != 1))
                throw new ArgumentException($"GetItem: {where()}: index arrays of lengths {string.Join(" and ", arrays.Select(a => a.Indices.Length))} do not pair up (each must have the same length, or 1)");
            int first = arrays[0].Position;
            if (!adjacent)
            {
                // NumPy puts the indexed axis first: move the indexed axes to the front, in order.
                var order = arrays.Select(a => a.Position).Concat(Enumerable.Range(0, y.NDim).Except(arrays.Select(a => a.Position))).ToArray();
                y = Next(x, y, F.Transpose(y, order));
                first = 0;
            }
            var dims = y.Shape;
            int k = arrays.Count;
            if (k == 2 && first == 0 && count == dims[0] && arrays[0].Indices.Length == count && arrays[0].Indices.Select((v, i) => v == i).All(b => b))
            {
                // x[arange(N), t]: one index per row, with no flat index to overflow.
                return Next(x, y, new Take(Full(arrays[1].Indices, count), new TakeGeometry(1, 1, PerSlice: true)).Call(y)[0]);
            }
            var flat = new long[count];
            long span = 1;
            for (int a = k - 1; a >= 0; a--)
            {
                var list = arrays[a].Indices;
                for (int j = 0; j < count; j++)
                    flat[j] += list[list.Length == 1 ? 0 : j] * span;
                span *= dims[first + a];
            }
            if (span > int.MaxValue)
                throw new ArgumentException($"GetItem: {where()}: the paired axes hold {span:N0} entries, more than 32-bit indices reach; index fewer axes at once");
            return Next(x, y, new Take(Array.ConvertAll(flat, v => (int)v), new TakeGeometry(first, k, PerSlice: false)).Call(y)[0]);
        }

        private static int[] Full(int[] list, int count) => list.Length == count ? list : Enumerable.Repeat(list[0], count).ToArray();
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// DeZero's <c>get_item</c>, NumPy's indexing: <c>x[index]</c> with integers, slices, index arrays,
        /// <see cref="TensorIndex.Ellipsis"/> and <see cref="TensorIndex.NewAxis"/> (see <see cref="TensorIndex"/>).
        /// An integer drops its axis; a slice keeps it (any step but 0, negative walks backwards); index arrays
        /// pick entries, repeats allowed, and several of them pair up element by element (<c>x[i, j]</c>; the pair
        /// <c>x[arange(N), t]</c> is also <see cref="PickPerRow"/>). The backward scatters the gradient back into
        /// zeros of x's shape, adding where an entry was picked more than once; it is differentiable again.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">An index is out of range; the message names it, the axis and the shape.</exception>
        /// <exception cref="ArgumentException">Too many indices, a step of 0, an empty selection, or index arrays that do not pair up.</exception>
        public static Variable GetItem(Variable x, params TensorIndex[] index)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(index);
            if (x.IsDisposed)
                throw x.DisposedError("GetItem");
            return Functions.IndexExpression.Apply(x, index);
        }
    }

    public partial class Variable
    {
        // The indexer's metadata name is At: Item is the method that reads a one-element value.

        /// <summary>
        /// <c>x[i]</c> as in NumPy (<see cref="F.GetItem"/>): <c>x[2]</c>, <c>x[^1]</c>, <c>x[1..5]</c>,
        /// <c>x[new[] { 0, 2, 2 }]</c>, <c>x[TensorIndex.Slice(step: -1)]</c>.
        /// </summary>
        [System.Runtime.CompilerServices.IndexerName("At")]
        public Variable this[TensorIndex i] => F.GetItem(this, i);

        /// <summary><c>x[i, j]</c> as in NumPy (<see cref="F.GetItem"/>): <c>x[1..5, 3]</c>, <c>x[.., TensorIndex.NewAxis]</c>.</summary>
        [System.Runtime.CompilerServices.IndexerName("At")]
        public Variable this[TensorIndex i, TensorIndex j] => F.GetItem(this, i, j);

        /// <summary><c>x[i, j, k]</c> as in NumPy (<see cref="F.GetItem"/>): <c>x[TensorIndex.Slice(1, 5, 2), .., 3]</c>.</summary>
        [System.Runtime.CompilerServices.IndexerName("At")]
        public Variable this[TensorIndex i, TensorIndex j, TensorIndex k] => F.GetItem(this, i, j, k);

        /// <summary><c>x[i, j, k, l]</c> as in NumPy (<see cref="F.GetItem"/>); <see cref="GetItem"/> takes any number.</summary>
        [System.Runtime.CompilerServices.IndexerName("At")]
        public Variable this[TensorIndex i, TensorIndex j, TensorIndex k, TensorIndex l] => F.GetItem(this, i, j, k, l);

        /// <summary>
        /// NumPy's indexing with any number of entries (<see cref="F.GetItem"/>). Pass an index array as
        /// <c>new[] { 0, 2 }</c> or <see cref="TensorIndex.Array"/>: a collection expression <c>[0, 2]</c> here is
        /// the entries themselves, <c>x[0, 2]</c>.
        /// </summary>
        public Variable GetItem(params TensorIndex[] index) => F.GetItem(this, index);
    }
}
