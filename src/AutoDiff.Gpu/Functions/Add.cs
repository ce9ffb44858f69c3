using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>
    /// Forward <c>y = x0 + x1</c>, broadcast as in NumPy; backward <c>gx0 = sum_to(gy, x0.shape)</c>,
    /// <c>gx1 = sum_to(gy, x1.shape)</c> (no kernel when the shapes are equal: the gradient is passed on).
    /// </summary>
    public sealed class Add : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.Zip(Name, xs[0], xs[1], default(PlusOperator))];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [F.SumTo(gys[0], Input(0).Shape), F.SumTo(gys[0], Input(1).Shape)];
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = x0 + x1, broadcast as in NumPy.</summary>
        public static Variable Add(Variable x0, Variable x1) => new Functions.Add().Call(x0, x1)[0];
    }

    public partial class Variable
    {
        /// <summary>y = a + b (<see cref="F.Add(Variable, Variable)"/>).</summary>
        public static Variable operator +(Variable a, Variable b) => F.Add(a, b);
    }
}
