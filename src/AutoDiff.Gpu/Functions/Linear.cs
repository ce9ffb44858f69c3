namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = x·W + b</c> (b optional, broadcast to the rows): while fusion is on, the product plus b pending,
    /// so that an activation reads the product once; else b copied into y and the product added to it. Backward
    /// <c>gx = gy·Wᵀ</c>, <c>gW = xᵀ·gy</c> (transposed in the kernel), <c>gb = sum_to(gy, b.shape)</c>.
    /// </summary>
    /// <param name="hasBias">Whether the call takes b as a third input.</param>
    public sealed class Linear(bool hasBias = true) : Function
    {
        /// <inheritdoc/>
        protected override int Arity => hasBias ? 3 : 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.MatMul(Name, xs[0], xs[1], bias: hasBias ? xs[2] : null)];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            var gradients = MatMul.Gradients(Input(0), Input(1), gys[0], false, false, NeedsGradient(0), NeedsGradient(1));
            return hasBias ? [.. gradients, NeedsGradient(2) ? F.SumTo(gys[0], Input(2).Shape) : null] : gradients;
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// The affine map <c>y = x·W + b</c> of a batch of rows x (N, I) by W (I, O) and a bias b (O,) or (1, O),
        /// or <c>y = x·W</c> when <paramref name="b"/> is null (DeZero's <c>linear</c>).
        /// </summary>
        /// <exception cref="ArgumentException">x or W is not 2-D, the inner dimensions differ, or b does not broadcast to (N, O); the message names the shapes.</exception>
        public static Variable Linear(Variable x, Variable w, Variable? b = null) =>
            b is null ? new Functions.Linear(false).Call(x, w)[0] : new Functions.Linear().Call(x, w, b)[0];
    }
}
