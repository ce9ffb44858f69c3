using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = x − log Σ exp(x)</c> along an axis, computed as <c>x − (m + log Σ exp(x − m))</c> with m the
    /// maximum so that nothing overflows; backward <c>gx = gy − exp(y)·Σ gy</c> along the axis, as DeZero's
    /// <c>log_softmax</c>. Every order of derivative.
    /// </summary>
    /// <param name="axis">The axis (negative counts from the end).</param>
    public sealed class LogSoftmax(int axis = -1) : Function
    {
        /// <summary>The axis (negative counts from the end).</summary>
        internal int Axis => axis;

        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            var logZ = LogSumExp(Name, xs[0], Softmax.CheckAxis(Name, xs[0].Shape, axis));
            var y = Launch.Zip(Name, xs[0], logZ, default(SubOperator));
            logZ.Dispose();
            return [y];
        }

        /// <summary>
        /// <c>m + log Σ exp(x − m)</c> along <paramref name="axis"/> (counted from the start), m the maximum, the axis
        /// kept as 1: log Σ exp(x) without overflow or the log of 0; four launches.
        /// </summary>
        internal static Tensor LogSumExp(string name, Tensor x, int axis)
        {
            var max = Launch.Reduce<MaxReduction, IdentityOperator>(x, [axis], keepDims: true);
            var e = Launch.Zip(name, x, max, default(ExpOfDifferenceOperator));
            var logSum = Launch.Reduce<SumReduction, LogOperator>(e, [axis], keepDims: true);
            e.Dispose();
            var logSumExp = Launch.Zip(name, max, logSum, default(PlusOperator));
            max.Dispose();
            logSum.Dispose();
            return logSumExp;
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys)
        {
            // A collected output had no gradient but zeros: a value recomputed outside the graph gives the same.
            var y = Output(0) ?? new Variable(Forward([Input(0).Data])[0]);
            return [gys[0] - (F.Exp(y) * F.Sum(gys[0], axis, keepDims: true))];
        }
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>
        /// The log of the softmax along <paramref name="axis"/> (default 1, as DeZero's), <c>x − log Σ exp(x)</c>, without
        /// the overflow or the lost precision of <c>Log(Softmax(x))</c> (DeZero's <c>log_softmax</c>).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The axis is out of range for x's shape (the message names both).</exception>
        public static Variable LogSoftmax(Variable x, int axis = 1) => new Functions.LogSoftmax(axis).Call(x)[0];
    }
}
