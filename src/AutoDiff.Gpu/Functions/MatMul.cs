using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = op(a)·op(b)</c> for matrices (2-D), op the transpose where asked (done by the kernel, never
    /// copied); backward <c>ga = gy·op(b)ᵀ</c> and <c>gb = op(a)ᵀ·gy</c> (each transposed back when its input was),
    /// which are products of the same kind: every order of derivative stays one kernel per product.
    /// </summary>
    /// <param name="transposeA">Multiply by aᵀ instead of a.</param>
    /// <param name="transposeB">Multiply by bᵀ instead of b.</param>
    public sealed class MatMul(bool transposeA = false, bool transposeB = false) : Function
    {
        /// <summary>Whether a is read transposed.</summary>
        internal bool TransposeA => transposeA;

        /// <summary>Whether b is read transposed.</summary>
        internal bool TransposeB => transposeB;

        /// <inheritdoc/>
        public override string Name => transposeA || transposeB ? $"MatMul({(transposeA ? "aᵀ" : "a")}·{(transposeB ? "bᵀ" : "b")})" : "MatMul";

        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.MatMul(Name, xs[0], xs[1], transposeA, transposeB)];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) =>
            Gradients(Input(0), Input(1), gys[0], transposeA, transposeB, NeedsGradient(0), NeedsGradient(1));

        /// <summary>
        /// The gradients of <c>op(a)·op(b)</c> for the output gradient <paramref name="gy"/>: with
        /// <c>y = op(a)·op(b)</c>, <c>∂L/∂op(a) = gy·op(b)ᵀ</c> and <c>∂L/∂op(b) = op(a)ᵀ·gy</c>, transposed back
        /// for an input that was transposed (<c>(gy·op(b)ᵀ)ᵀ = op(b)·gyᵀ</c>, <c>(op(a)ᵀ·gy)ᵀ = gyᵀ·op(a)</c>).
        /// Null, and not computed, for an input that takes none.
        /// </summary>
        internal static Variable?[] Gradients(
            Variable a, Variable b, Variable gy, bool transposeA, bool transposeB, bool needA, bool needB) =>
        [
            !needA ? null : transposeA ? F.MatMul(b, gy, transposeB, true) : F.MatMul(gy, b, false, !transposeB),
            !needB ? null : transposeB ? F.MatMul(gy, a, true, transposeA) : F.MatMul(a, gy, !transposeA, false),
        ];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>The matrix product <c>y = x·w</c> of two matrices (2-D), DeZero's <c>matmul</c>.</summary>
        /// <exception cref="ArgumentException">An operand is not 2-D, or the inner dimensions differ (the message names both shapes).</exception>
        public static Variable MatMul(Variable x, Variable w) => new Functions.MatMul().Call(x, w)[0];

        /// <summary>
        /// The matrix product <c>y = op(a)·op(b)</c>, op the transpose where asked; the kernel reads the operand
        /// transposed, nothing is copied.
        /// </summary>
        /// <exception cref="ArgumentException">An operand is not 2-D, or the inner dimensions differ (the message names both shapes).</exception>
        public static Variable MatMul(Variable a, Variable b, bool transposeA, bool transposeB) => new Functions.MatMul(transposeA, transposeB).Call(a, b)[0];
    }
}
