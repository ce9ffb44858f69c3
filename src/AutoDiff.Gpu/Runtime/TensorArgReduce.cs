namespace AutoDiff.Gpu;

public sealed partial class Tensor
{
    /// <summary>
    /// The positions of the greatest elements along <paramref name="axis"/> (negative counts from the end), as
    /// NumPy's <c>argmax</c>: an array in the row-major order of the other axes; over all elements (a flat
    /// position) when <paramref name="axis"/> is null. The first greatest wins, and a NaN beats every number
    /// (the first NaN's position). Computed on the device; reads back and waits.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is out of range.</exception>
    /// <exception cref="ArgumentException">The axis is empty while the others are not.</exception>
    public int[] ArgMax(int? axis = null) => Launch.ArgReduce(nameof(ArgMax), this, axis, minimum: false);

    /// <summary>The positions of the least elements, as <see cref="ArgMax"/> (NumPy's <c>argmin</c>; a NaN still wins).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is out of range.</exception>
    /// <exception cref="ArgumentException">The axis is empty while the others are not.</exception>
    public int[] ArgMin(int? axis = null) => Launch.ArgReduce(nameof(ArgMin), this, axis, minimum: true);
}
