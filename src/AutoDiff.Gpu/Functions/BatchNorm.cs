using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Batch normalization in training (DeZero's <c>BatchNorm</c> with <c>Config.train</c>): over every axis but the
    /// channels (axis 1), <c>y = γ·(x − μ)/√(σ² + ε) + β</c> with the batch's mean μ and variance σ², and the running
    /// statistics updated in place as DeZero updates them. The forward keeps μ and 1/√(σ² + ε) (one value a channel)
    /// beside its inputs, as PyTorch does, not the normalized x; the backward is DeZero's formula written in
    /// differentiable functions, with μ and σ² recomputed from x as functions when the backward pass is recorded,
    /// so second derivatives are exact.
    /// </summary>
    public sealed class BatchNorm : Function
    {
        private readonly Tensor runningMean;
        private readonly Tensor runningVar;
        private readonly double decay;
        private readonly double eps;
        private Tensor? mean;
        private Tensor? inverseStd;

        internal BatchNorm(Tensor runningMean, Tensor runningVar, double decay, double eps)
        {
            this.runningMean = runningMean;
            this.runningVar = runningVar;
            this.decay = decay;
            this.eps = eps;
        }

        /// <inheritdoc/>
        protected override int Arity => 3;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var (x, gamma, beta) = (xs[0], xs[1], xs[2]);
            var axes = Axes(x.Shape);
            var kept = Sum.KeptShape(x.Shape, axes);
            long m = x.Length / kept.Length;
            var mu = Launch.Reduce<SumReduction, ScaleOperator>(x, axes, true, new ScaleOperator(1.0 / m));
            var squares = Launch.Zip(Name, x, mu, default(SquaredDifferenceOperator));
            var variance = Launch.Reduce<SumReduction, ScaleOperator>(squares, axes, true, new ScaleOperator(1.0 / m));
            squares.Dispose();
            var inverse = Launch.Map(variance, new Compose<PowOperator, AffineOperator>(new PowOperator(-0.5), new AffineOperator(1, eps)));

            // y = x·scale + shift, scale = γ/√(σ² + ε) and shift = β − μ·scale a channel each: two passes over x.
            var y = Affine(Name, x, gamma, beta, mu, inverse, kept);

            // The running statistics, as DeZero: mean ← decay·mean + (1 − decay)·μ, var ← decay·var + (1 − decay)·m/max(m − 1, 1)·σ².
            double adjust = m / Math.Max(m - 1.0, 1.0);
            using (var flat = mu.ViewAs(runningMean.Shape))
                Launch.ZipInto(Name, runningMean, flat, new BlendOperator(decay, 1 - decay));
            using (var flat = variance.ViewAs(runningVar.Shape))
                Launch.ZipInto(Name, runningVar, flat, new BlendOperator(decay, (1 - decay) * adjust));
            variance.Dispose();
            if (Config.EnableBackprop)
            {
                (mean, inverseStd) = (mu, inverse);
            }
            else
            {
                mu.Dispose();
                inverse.Dispose();
            }
            return [y];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var (x, gamma) = (Input(0), Input(1));
            var gy = gys[0];
            var axes = Axes(x.Shape);
            var kept = Sum.KeptShape(x.Shape, axes);
            long m = x.Size / kept.Length;
            // Recorded: μ and 1/√(σ² + ε) as functions of x, so that the gradient's own gradient sees them move.
            var (mu, inverse) = Config.EnableBackprop
                ? Statistics(x, axes, eps)
                : (new Variable(mean!), new Variable(inverseStd!));
            var centered = x - mu;
            var normalized = centered * inverse;
            var gbeta = F.Sum(gy, axes, keepDims: true);
            var product = normalized * gy;
            var ggamma = F.Sum(product, axes, keepDims: true);
            var scaled = gy * (double)m;
            var shifted = scaled - gbeta;
            var correction = normalized * ggamma;
            var difference = shifted - correction;
            var gx = F.Reshape(gamma, kept.ToArray()) * inverse * (1.0 / m) * difference;
            // Fused, gx is one pending expression over x, gy and per-channel values: its intermediates go now.
            Broadcasting.Free(centered, normalized, product, scaled, shifted, correction, difference);
            int channels = kept[1];
            return [gx, F.Reshape(ggamma, channels), F.Reshape(gbeta, channels)];
        }

        /// <summary>The batch's mean and 1/√(σ² + ε) per channel, as functions of x (kept dimensions).</summary>
        internal static (Variable Mean, Variable InverseStd) Statistics(Variable x, int[] axes, double eps)
        {
            var mu = F.Mean(x, axes, keepDims: true);
            var variance = F.Mean(F.Square(x - mu), axes, keepDims: true);
            return (mu, F.Pow(variance + eps, -0.5));
        }

        /// <summary>
        /// y = x·scale + shift with scale = γ·inverse and shift = β − μ·scale, one value a channel (shaped as
        /// <paramref name="kept"/>): pending while fused (one pass, which an activation may join), else in place.
        /// </summary>
        internal static Tensor Affine(string name, Tensor x, Tensor gamma, Tensor beta, Tensor mu, Tensor inverse, Shape kept)
        {
            using var g = gamma.ViewAs(kept);
            using var b = beta.ViewAs(kept);
            var scale = Launch.Zip(name, g, inverse, default(MulOperator));
            var shift = Launch.Zip(name, mu, scale, default(MulOperator));
            Launch.ZipInto(name, shift, b, default(Flip<SubOperator>));
            var y = Launch.Zip(name, x, scale, default(MulOperator));
            if (y.IsPending)
                return Launch.Zip(name, y, shift, default(PlusOperator)); // reads scale and shift: they stay
            Launch.ZipInto(name, y, shift, default(PlusOperator));
            scale.Dispose();
            shift.Dispose();
            return y;
        }

        /// <summary>Every axis but the channels (1): the statistics' shape beside x is <see cref="Sum.KeptShape"/> of them, (1, C, 1, …).</summary>
        internal static int[] Axes(Shape x) => [0, .. Enumerable.Range(2, x.Rank - 2)];
    }

    /// <summary>keep·a + take·b (a running average's update).</summary>
    /// <param name="keep">The factor of the old value.</param>
    /// <param name="take">The factor of the new one.</param>
    public struct BlendOperator(double keep, double take) : IBinaryOperator
    {
        private Parameter keep = keep; // not readonly: see Parameter
        private Parameter take = take;

        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => (keep.As<T>() * a) + (take.As<T>() * b);

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
            (keep.As<T>() * a) + (take.As<T>() * b);
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// DeZero's <c>batch_norm</c>: normalizes x (N, C, …) per channel (axis 1) over the batch and every other axis,
        /// then scales by <paramref name="gamma"/> and shifts by <paramref name="beta"/> (both (C,)). While
        /// <see cref="Config.Train"/>, it uses the batch's mean and (biased) variance and updates
        /// <paramref name="runningMean"/> and <paramref name="runningVar"/> ((C,) tensors of x's device and element
        /// type) in place: <c>r ← decay·r + (1 − decay)·s</c>, the variance unbiased by m/(m − 1) for m values a
        /// channel. In test mode it uses the running statistics and changes nothing. Differentiable in x, γ and β,
        /// to every order.
        /// </summary>
        /// <exception cref="ArgumentException">x has fewer than 2 dimensions, or a parameter or statistic is not (C,) of x's device and element type.</exception>
        public static Variable BatchNorm(Variable x, Variable gamma, Variable beta, Tensor runningMean, Tensor runningVar, double decay = 0.9, double eps = 2e-5)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(gamma);
            ArgumentNullException.ThrowIfNull(beta);
            ArgumentNullException.ThrowIfNull(runningMean);
            ArgumentNullException.ThrowIfNull(runningVar);
            if (x.NDim < 2)
                throw new ArgumentException($"{nameof(BatchNorm)}: x must be (N, C, …), not {x.Shape}", nameof(x));
            if (!(eps > 0) || !(decay >= 0 && decay <= 1))
                throw new ArgumentOutOfRangeException(nameof(eps), $"{nameof(BatchNorm)}: eps must be positive and decay in [0, 1], not eps {eps}, decay {decay}");
            var channels = new Shape(x.Shape[1]);
            foreach (var (name, t) in new[] { ("gamma", gamma.Data), ("beta", beta.Data), ("runningMean", runningMean), ("runningVar", runningVar) })
            {
                if (!t.Shape.Equals(channels))
                    throw new ArgumentException($"{nameof(BatchNorm)}: {name} must be {channels} for x {x.Shape}, not {t.Shape}");
                Launch.CheckCompatible($"{nameof(BatchNorm)} ({name})", x.Data, t);
            }
            if (Config.Train)
                return new Functions.BatchNorm(runningMean, runningVar, decay, eps).Call(x, gamma, beta)[0];
            // Test mode: an affine map of x with constants from the running statistics.
            var kept = Functions.Sum.KeptShape(x.Shape, Functions.BatchNorm.Axes(x.Shape)).ToArray();
            var mean = new Variable(runningMean.ViewAs(new Shape(kept)));
            var inverse = Pow(new Variable(runningVar.ViewAs(new Shape(kept))) + eps, -0.5);
            var y = ((x - mean) * (Reshape(gamma, kept) * inverse)) + Reshape(beta, kept);
            return Composite.Mark(y, new Composite.BatchNormalization(eps, runningMean, runningVar), x, gamma, beta);
        }
    }
}
