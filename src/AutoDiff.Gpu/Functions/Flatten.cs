namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>x as (len(x), everything else): DeZero's <c>flatten</c>, a reshape (a view).</summary>
        /// <exception cref="ArgumentException">x is a scalar: it has no first dimension to keep.</exception>
        public static Variable Flatten(Variable x)
        {
            ArgumentNullException.ThrowIfNull(x);
            if (x.Shape.Rank == 0)
                throw new ArgumentException("Flatten: x is a scalar; it keeps the first dimension and joins the rest, so it needs at least one");
            long rest = 1;
            for (int i = 1; i < x.Shape.Rank; i++)
                rest *= x.Shape[i];
            return Reshape(x, x.Shape[0], checked((int)rest));
        }

        /// <summary>x with a new axis of size 1 at <paramref name="axis"/> (negative counts from the end of the result): DeZero's <c>expand_dims</c>, a reshape.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The axis is out of range for a result of x's rank + 1.</exception>
        public static Variable ExpandDims(Variable x, int axis)
        {
            ArgumentNullException.ThrowIfNull(x);
            int rank = x.Shape.Rank + 1;
            int a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank)
                throw new ArgumentOutOfRangeException(nameof(axis), axis, $"ExpandDims: axis {axis} is out of range for a new axis in shape {x.Shape} (results of rank {rank})");
            var dims = x.Shape.ToArray().ToList();
            dims.Insert(a, 1);
            return Reshape(x, [.. dims]);
        }
    }
}
