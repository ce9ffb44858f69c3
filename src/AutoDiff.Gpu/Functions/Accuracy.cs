namespace AutoDiff.Gpu
{
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
            var accuracy = Accuracy(scores, labels);
            labels.Release();
            return accuracy;
        }

        /// <summary><see cref="Accuracy(Variable, int[])"/> against labels already on the device (N,), read where they are.</summary>
        /// <exception cref="ArgumentException">
        /// y is not a matrix with at least one column, the labels are not (N,), or they are on another device.
        /// </exception>
        public static Variable Accuracy(Variable y, IndexTensor t)
        {
            ArgumentNullException.ThrowIfNull(y);
            ArgumentNullException.ThrowIfNull(t);
            t.ThrowIfDisposed();
            var scores = y.Data;
            if (scores.Rank != 2 || scores.Shape[1] == 0)
                throw new ArgumentException($"{nameof(Accuracy)}: the scores must be a matrix (N, C) with C ≥ 1, not {scores.Shape}", nameof(y));
            if (t.Shape.Rank != 1 || t.Length != scores.Shape[0])
                throw new ArgumentException($"{nameof(Accuracy)}: labels {t.Shape} for {scores.Shape[0]} rows of scores {scores.Shape}: give (N,)", nameof(t));
            return Accuracy(scores, t.Buffer);
        }

        /// <summary>The mean of the hits of checked scores against labels on the device.</summary>
        private static Variable Accuracy(Tensor scores, IndexBuffer labels)
        {
            var hits = Launch.ArgMaxHits(nameof(Accuracy), scores, 1, labels);
            var mean = Launch.Reduce<Kernels.SumReduction, Kernels.ScaleOperator>(hits, [], false, new Kernels.ScaleOperator(1.0 / labels.Length));
            hits.Dispose();
            return new Variable(mean);
        }
    }
}
