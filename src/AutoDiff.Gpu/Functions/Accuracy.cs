namespace AutoDiff.Gpu
{
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

    public static partial class F
    {
        /// <summary>
        /// DeZero's <c>accuracy</c>: the fraction of rows of the scores <paramref name="y"/> (N, C) whose argmax is the
        /// label in <paramref name="t"/> (N labels; one out of [0, C) never matches). A scalar of y's element type,
        /// computed on the device (argmax and comparison in one kernel, then a mean) without recording a graph: it
        /// is not differentiable. NaN for N = 0, as NumPy's mean of nothing.
        /// </summary>
        /// <exception cref="ArgumentException">y is not a matrix with at least one column, or the labels' count is not its rows'.</exception>
        public static Variable Accuracy(Variable y, int[] t)
        {
            ArgumentNullException.ThrowIfNull(y);
            ArgumentNullException.ThrowIfNull(t);
            var scores = y.Data;
            if (scores.Rank != 2 || scores.Shape[1] == 0)
                throw new ArgumentException($"{nameof(Accuracy)}: the scores must be a matrix (N, C) with C ≥ 1, not {scores.Shape}", nameof(y));
            if (t.Length != scores.Shape[0])
                throw new ArgumentException($"{nameof(Accuracy)}: {t.Length} labels for {scores.Shape[0]} rows of scores {scores.Shape}", nameof(t));
            var labels = new IndexBuffer(scores.Device, t);
            var hits = Launch.ArgMaxHits(nameof(Accuracy), scores, 1, labels);
            labels.Release();
            var mean = Launch.Reduce<Kernels.SumReduction, Kernels.ScaleOperator>(hits, [], false, new Kernels.ScaleOperator(1.0 / t.Length));
            hits.Dispose();
            return new Variable(mean);
        }
    }
}
