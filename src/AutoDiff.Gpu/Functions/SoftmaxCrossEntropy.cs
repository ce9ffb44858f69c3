using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = −(1/N)·Σᵢ log softmax(x)[i, tᵢ] = (1/N)·Σᵢ (lseᵢ − x[i, tᵢ])</c> for scores x (N, C) and labels t,
    /// with <c>lseᵢ = mᵢ + log Σⱼ exp(x[i, j] − mᵢ)</c>, <c>mᵢ = maxⱼ x[i, j]</c> (no overflow, no log of 0): seven
    /// launches, no (N, C) tensor kept. Backward <c>gx = (softmax(x) − onehot(t))·gy/N</c>
    /// (<see cref="SoftmaxCrossEntropyGrad"/>: four launches from the kept lse, N values). Host labels go to the
    /// device once and serve the forward and the backward; labels already there (an <see cref="IndexTensor"/>)
    /// are read where they are.
    /// </summary>
    public sealed class SoftmaxCrossEntropy : Function
    {
        private readonly int[]? labels;
        private readonly IndexTensor? onDevice;
        private IndexBuffer? indices;
        private Tensor? lse;

        /// <summary>A loss against <paramref name="t"/>, one class index in [0, C) per row of x.</summary>
        public SoftmaxCrossEntropy(int[] t)
        {
            ArgumentNullException.ThrowIfNull(t);
            labels = (int[])t.Clone();
        }

        /// <summary>A loss against labels on the device, (N,), one class index in [0, C) per row of x.</summary>
        public SoftmaxCrossEntropy(IndexTensor t)
        {
            ArgumentNullException.ThrowIfNull(t);
            onDevice = t;
        }

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var x = xs[0];
            var (n, c) = CheckOperands(Name, x.Shape, labels, onDevice);
            var rows = new Shape(n, 1);
            var logSumExp = LogSoftmax.LogSumExp(Name, x, 1);
            var ids = onDevice?.Buffer ?? new IndexBuffer(x.Device, labels);
            var picked = Launch.Take(x, ids, rows, n, c, 1, perSlice: true);
            var terms = Launch.Zip(Name, logSumExp, picked, default(SubOperator));
            picked.Dispose();
            var loss = Launch.Reduce<SumReduction, ScaleOperator>(terms, [], false, new ScaleOperator(1.0 / n));
            terms.Dispose();
            if (Config.EnableBackprop)
            {
                (indices, lse) = (ids, logSumExp);
            }
            else
            {
                // Nothing will differentiate this call: its buffers go back to the pool now (the caller's stay).
                if (onDevice is null)
                    ids.Release();
                logSumExp.Dispose();
            }
            return [loss];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) =>
            [new SoftmaxCrossEntropyGrad(indices!, lse!).Call(Input(0), gys[0])[0]];

        /// <summary>
        /// (N, C) of x; the error names the shape, the labels' count, or the first host label out of range (the
        /// range of labels on the device, read from what they were made of).
        /// </summary>
        internal static (int N, int C) CheckOperands(string name, Shape x, int[]? t, IndexTensor? onDevice)
        {
            if (x.Rank != 2)
                throw new ArgumentException($"{name}: x must be scores of shape (N, C), got {x}");
            int n = x[0], c = x[1];
            onDevice?.ThrowIfDisposed();
            if (onDevice is not null && onDevice.Shape.Rank != 1)
                throw new ArgumentException($"{name}: the labels must be (N,), one class index per row, not {onDevice.Shape}");
            int count = t?.Length ?? onDevice!.Length;
            if (count != n)
                throw new ArgumentException($"{name}: {count} labels for the {n} rows of x {x}: give one class index per row");
            if (onDevice is not null && n > 0 && (onDevice.Min < 0 || onDevice.Max >= c))
                throw new ArgumentOutOfRangeException(nameof(onDevice), $"{name}: the labels range over [{onDevice.Min}, {onDevice.Max}], not all classes of x {x}: labels are in [0, {c})");
            for (int i = 0; i < (t?.Length ?? 0); i++)
            {
                if (t![i] < 0 || t[i] >= c)
                    throw new ArgumentOutOfRangeException(nameof(t), t[i], $"{name}: label {t[i]} of row {i} is not a class of x {x}: labels are in [0, {c})");
            }
            return (n, c);
        }
    }

    /// <summary>
    /// The fused backward of <see cref="SoftmaxCrossEntropy"/>: forward <c>gx = (softmax(x) − onehot(t))·gy/N</c> for
    /// a scalar gy, from the kept <c>lse</c>: <c>softmax(x) = exp(x − lse)</c>, scaled by gy/N, then −gy/N added at
    /// the labels (four launches). Backward, for an output gradient h: <c>gx = (gy/N)·p·(h − Σⱼ p·h)</c> with
    /// <c>p = softmax(x)</c> (the softmax's own backward) and <c>ggy = (Σ p·h − Σᵢ h[i, tᵢ]) / N</c>, from
    /// differentiable functions, so every order of derivative works.
    /// </summary>
    public sealed class SoftmaxCrossEntropyGrad : Function
    {
        private readonly IndexBuffer indices;
        private readonly Tensor lse;

        internal SoftmaxCrossEntropyGrad(IndexBuffer indices, Tensor lse)
        {
            this.indices = indices;
            this.lse = lse;
        }

        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var (x, gy) = (xs[0], xs[1]);
            if (x.Rank != 2 || x.Shape[0] != indices.Length)
                throw new ArgumentException($"{Name}: x must be scores (N, C) with one row per label ({indices.Length}), got {x.Shape}");
            var (n, c) = (x.Shape[0], x.Shape[1]);
            Launch.CheckCompatible(Name, x, gy);
            if (gy.Length != 1)
                throw new ArgumentException($"{Name}: gy must hold one element (the loss's gradient), got {gy.Shape}");
            var scalar = gy.Rank == 0 ? gy : gy.ViewAs(Shape.Scalar);
            var p = Launch.Zip(Name, x, lse, default(ExpOfDifferenceOperator));
            var gx = Launch.Zip(Name, p, scalar, new ScaledProductOperator(1.0 / n));
            p.Dispose();
            var minus = Launch.Gather(scalar, new Shape(n, 1), [0, 0], 0, new ScaleOperator(-1.0 / n));
            Launch.ScatterAddInto(gx, indices, minus, n, c, 1, perSlice: true);
            minus.Dispose();
            if (!ReferenceEquals(scalar, gy))
                scalar.Dispose();
            return [gx];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var (x, gy, h) = (Input(0), Input(1), gys[0]);
            double scale = 1.0 / x.Shape[0];
            var p = F.Softmax(x, 1);
            var gx = Softmax.GradientOf(p, h, 1) * (gy * scale);
            var picked = new Take(indices, new TakeGeometry(1, 1, PerSlice: true)).Call(h)[0];
            var ggy = (F.Sum(p * h) - F.Sum(picked)) * scale;
            return [gx, F.Reshape(ggy, gy.Shape.ToArray())];
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// The softmax cross-entropy of scores x (N, C) against labels t (one class index in [0, C) per row), averaged
        /// over the rows: <c>−(1/N)·Σᵢ log softmax(x)[i, tᵢ]</c>, a scalar (DeZero's <c>softmax_cross_entropy</c>).
        /// </summary>
        /// <exception cref="ArgumentException">x is not 2-D, or t does not hold one label per row.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, C); the message names it, its row and x's shape.</exception>
        public static Variable SoftmaxCrossEntropy(Variable x, int[] t) => new Functions.SoftmaxCrossEntropy(t).Call(x)[0];

        /// <summary>
        /// <see cref="SoftmaxCrossEntropy(Variable, int[])"/> against labels already on the device (N,), read where
        /// they are; their range is checked from the values they were made of.
        /// </summary>
        /// <exception cref="ArgumentException">x is not 2-D, the labels are not (N,), or they are on another device.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The labels' range leaves [0, C); the message names it and x's shape.</exception>
        public static Variable SoftmaxCrossEntropy(Variable x, IndexTensor t) => new Functions.SoftmaxCrossEntropy(t).Call(x)[0];
    }
}
