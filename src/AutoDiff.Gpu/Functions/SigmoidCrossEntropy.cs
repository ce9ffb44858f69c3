using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = Σ (log(1 + eˣ) − t·x) / len(x)</c>, the cross-entropy of the logistic sigmoid p = σ(x) against
    /// targets t, <c>−Σ (t·log p + (1 − t)·log(1 − p)) / len(x)</c> (DeZero's <c>sigmoid_cross_entropy</c>), computed
    /// from x as <c>max(x, 0) − t·x + log(1 + e^−|x|)</c>, which neither overflows nor takes the log of 0 where σ(x)
    /// rounds to 0 or 1: one elementwise kernel and one reduction. Backward <c>gx = (σ(x) − t)·gy / len</c>,
    /// <c>gt = −x·gy / len</c>, from differentiable functions (every order).
    /// </summary>
    public sealed class SigmoidCrossEntropy : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [MeanSquaredError.SumOverLen<LogisticLossOperator>(Name, xs[0], xs[1])];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var x = Input(0);
            var scale = gys[0] / x.Shape[0];
            return [(F.Sigmoid(x) - Input(1)) * scale, -(x * scale)];
        }
    }

    /// <summary>max(a, 0) − a·b + log(1 + e^−|a|): log(1 + eᵃ) − a·b, the logistic loss of logit a against target b.</summary>
    public readonly struct LogisticLossOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var magnitude = a < T.Zero ? -a : a;
            return (a > T.Zero ? a : T.Zero) - (a * b) + ElementaryMath.Log(T.One + ElementaryMath.Exp(-magnitude));
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// The binary cross-entropy of σ(<paramref name="x"/>) against targets <paramref name="t"/> (0 or 1, or
        /// probabilities), averaged over the first dimension (DeZero's <c>sigmoid_cross_entropy</c>), computed from the
        /// logits so that it stays finite where σ(x) rounds to 0 or 1. t of another shape with as many elements is
        /// read in x's shape.
        /// </summary>
        /// <exception cref="ArgumentException">The shapes differ in size, or x is a scalar.</exception>
        public static Variable SigmoidCrossEntropy(Variable x, Variable t) =>
            new Functions.SigmoidCrossEntropy().Call(x, TargetsLike(x, t, "SigmoidCrossEntropy"))[0];

        /// <summary>
        /// <c>−Σ (t·log p + (1 − t)·log(1 − p)) / len(p)</c> with p clipped to [1e-15, 0.999] (DeZero's
        /// <c>binary_cross_entropy</c>, of probabilities p), from differentiable functions. t of another shape with as
        /// many elements is read in p's shape.
        /// </summary>
        /// <exception cref="ArgumentException">The shapes differ in size, or p is a scalar.</exception>
        public static Variable BinaryCrossEntropy(Variable p, Variable t)
        {
            t = TargetsLike(p, t, "BinaryCrossEntropy");
            if (p.Shape.Rank == 0)
                throw new ArgumentException("BinaryCrossEntropy: p is a scalar; it averages over the first dimension (len), so it needs at least one");
            var clipped = Clip(p, 1e-15, 0.999);
            var terms = (t * Log(clipped)) + ((1.0 - t) * Log(1.0 - clipped));
            return -Sum(terms) / p.Shape[0];
        }

        /// <summary>t in x's shape (DeZero reshapes targets of another rank); the error names both shapes.</summary>
        private static Variable TargetsLike(Variable x, Variable t, string name)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(t);
            if (t.Shape.Equals(x.Shape))
                return t;
            return t.Shape.Length == x.Shape.Length
                ? Reshape(t, x.Shape.ToArray())
                : throw new ArgumentException($"{name}: targets of shape {t.Shape} ({t.Shape.Length:N0} elements) for x of shape {x.Shape} ({x.Shape.Length:N0}); give one target per element");
        }
    }
}
