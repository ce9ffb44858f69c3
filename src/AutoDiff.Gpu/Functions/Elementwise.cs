using System.Numerics;
using AutoDiff.Gpu.Kernels;

// The two shapes every elementwise function is built from. A forward step is one map kernel
// (UnaryFunction). A backward step is one zip kernel, gx = g·d(a), where a is the function's input or output
// and d its derivative (GradientStep). A gradient step is a Function too: its own backward is g·d(a) again
// for g, and for a the chain rule through d′, which the gradient operator gives as another gradient step
// (IGradientOperator.Chain). So every order of derivative stays fused, and each op file is a few lines.
namespace AutoDiff.Gpu.Functions
{
    /// <summary>An elementwise function of one input, <c>y = op(x)</c>, as one map kernel; the subclass gives the backward.</summary>
    /// <typeparam name="TOp">The forward operator.</typeparam>
    /// <param name="op">The forward operator, with its parameters.</param>
    public abstract class UnaryFunction<TOp>(TOp op) : Function
        where TOp : struct, IUnaryOperator
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <summary>
        /// The output, for a derivative written in y. Should it have been collected, its gradient was zeros, so a
        /// value recomputed outside the graph gives the same result.
        /// </summary>
        protected Variable Y => Output(0) ?? new Variable(Launch.Map(Input(0).Data, op));

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.Map(xs[0], op)];
    }

    /// <summary>
    /// An elementwise function of two inputs, <c>y = op(x0, x1)</c> broadcast as in NumPy, as one zip kernel; the
    /// subclass gives the backward, which undoes the broadcast with sum_to.
    /// </summary>
    /// <typeparam name="TOp">The forward operator.</typeparam>
    public abstract class BinaryFunction<TOp> : Function
        where TOp : struct, IBinaryOperator
    {
        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.Zip(Name, xs[0], xs[1], default(TOp))];
    }

    /// <summary>Helpers of the binary functions' backward steps.</summary>
    internal static class Broadcasting
    {
        /// <summary>
        /// sum_to(<paramref name="temporary"/>, shape), freeing the temporary (a product this backward step made)
        /// at once when the pass records nothing and the sum is a new tensor: a broadcast product can be the
        /// largest tensor of the pass.
        /// </summary>
        public static Variable SumToFreeing(Variable temporary, Shape shape)
        {
            var sum = F.SumTo(temporary, shape);
            if (!ReferenceEquals(sum, temporary) && !Config.EnableBackprop)
                temporary.Dispose();
            return sum;
        }

        /// <summary>
        /// Frees a backward step's intermediates at once when the pass records nothing: a pending one that a later
        /// expression inlined would otherwise be computed for nothing when an input it reads is freed.
        /// </summary>
        public static void Free(params Variable[] temporaries)
        {
            if (Config.EnableBackprop)
                return;
            foreach (var t in temporaries)
                t.Dispose();
        }
    }

    /// <summary>
    /// The fused gradient of an elementwise function: <c>gx = g·d(a)</c> for one element, linear in g, where a
    /// is the function's input or output and d its derivative written in a; one zip kernel.
    /// </summary>
    public interface IGradientOperator : IBinaryOperator
    {
        /// <summary>
        /// The gradient of <c>Σ ggx·g·d(a)</c> with respect to a, <c>ggx·g·d′(a)</c>, from differentiable functions
        /// (a <see cref="GradientStep{TOp}"/> with the operator of d′, so higher orders stay fused), or null when
        /// d is constant.
        /// </summary>
        Variable? Chain(Variable a, Variable g, Variable ggx);
    }

    /// <summary>
    /// Forward <c>gx = g·d(a)</c> (a and g of one shape) as one kernel, the backward step of an elementwise
    /// function; backward <c>ga = ggx·g·d′(a)</c> (<see cref="IGradientOperator.Chain"/>), <c>gg = ggx·d(a)</c>
    /// (itself again).
    /// </summary>
    /// <typeparam name="TOp">The gradient operator.</typeparam>
    /// <param name="op">The gradient operator, with its parameters.</param>
    public sealed class GradientStep<TOp>(TOp op) : Function
        where TOp : struct, IGradientOperator
    {
        private static readonly string StepName = $"GradientStep<{typeof(TOp).Name}>";

        /// <inheritdoc/>
        public override string Name => StepName;

        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            if (!xs[0].Shape.Equals(xs[1].Shape))
                throw new ArgumentException($"{Name}: shapes differ ({xs[0].Shape} and {xs[1].Shape}); it takes one shape");
            return [Launch.Zip(Name, xs[0], xs[1], op)];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) =>
            [op.Chain(Input(0), Input(1), gys[0]), GradientStep.Of(Input(0), gys[0], op)];
    }

    /// <summary>Makes <see cref="GradientStep{TOp}"/> calls.</summary>
    public static class GradientStep
    {
        /// <summary><c>g·d(a)</c> as a variable, d given by <paramref name="op"/>.</summary>
        public static Variable Of<TOp>(Variable a, Variable g, TOp op)
            where TOp : struct, IGradientOperator =>
            new GradientStep<TOp>(op).Call(a, g)[0];
    }

    /// <summary>
    /// g·c·(a − r1)·(a − r2), of degree 0, 1 or 2 (a factor without its root is left out): the derivatives written
    /// in the output y of exp (y), tanh ((1 − y)(1 + y)) and sigmoid (y(1 − y)), −y for a divisor, and the product
    /// c·a·g. Factored, so that 1 − y² keeps its precision where y is near ±1.
    /// </summary>
    public struct PolynomialGradient : IGradientOperator
    {
        private readonly int degree;
        private Parameter c; // not readonly: see Parameter
        private Parameter r1;
        private Parameter r2;

        /// <summary>c·(a − r1)·(a − r2).</summary>
        public PolynomialGradient(double c, double r1, double r2) => (this.c, this.r1, this.r2, degree) = (c, r1, r2, 2);

        /// <summary>c·(a − r1).</summary>
        public PolynomialGradient(double c, double r1) => (this.c, this.r1, degree) = (c, r1, 1);

        /// <inheritdoc/>
        public T Apply<T>(T a, T g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var d = c.As<T>();
            if (degree >= 1)
                d *= a - r1.As<T>();
            if (degree >= 2)
                d *= a - r2.As<T>();
            return g * d;
        }

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var d = new Vector<T>(c.As<T>());
            if (degree >= 1)
                d *= a - new Vector<T>(r1.As<T>());
            if (degree >= 2)
                d *= a - new Vector<T>(r2.As<T>());
            return b * d; // b is the gradient g
        }

        /// <inheritdoc/>
        public readonly Variable? Chain(Variable a, Variable g, Variable ggx) => degree switch
        {
            // (c(a − r1)(a − r2))′ = 2c(a − (r1 + r2)/2); (c(a − r1))′ = c, which makes the product c·g·ggx (one kernel, no a).
            2 => GradientStep.Of(a, F.Mul(g, ggx), new PolynomialGradient(2 * c.Value, (r1.Value + r2.Value) / 2)),
            1 => GradientStep.Of(g, ggx, new PolynomialGradient(c.Value, 0)),
            _ => null,
        };
    }

    /// <summary>g·c·a^p (0 when c = 0): the derivatives of x^c (c·x^(c−1)), log x (x^−1) and c/x (−c·x^−2).</summary>
    /// <param name="c">The factor.</param>
    /// <param name="p">The exponent.</param>
    public struct PowerGradient(double c, double p) : IGradientOperator
    {
        private Parameter c = c; // not readonly: see Parameter
        private PowOperator power = new(p);

        /// <inheritdoc/>
        public T Apply<T>(T a, T g) where T : unmanaged, IFloatingPointIeee754<T> =>
            c.Value == 0 ? T.Zero : g * (c.As<T>() * power.Apply(a)); // (x⁰)′ = 0 also at x = 0, where 0·0⁻¹ is NaN

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
            c.Value == 0 ? Vector<T>.Zero : b * (new Vector<T>(c.As<T>()) * power.ApplyVector(a)); // b is the gradient g

        /// <inheritdoc/>
        public Variable? Chain(Variable a, Variable g, Variable ggx)
        {
            double p = power.Exponent;
            return c.Value * p == 0 ? null : GradientStep.Of(a, F.Mul(g, ggx), new PowerGradient(c.Value * p, p - 1));
        }
    }

    /// <summary>g·sin(a + k·π/2): the derivatives of sin (k = 1: cos) and cos (k = 2: −sin), exactly periodic in k.</summary>
    /// <param name="k">Quarter turns added to a; the derivative of this operator's d is k + 1.</param>
    public readonly struct SineGradient(int k) : IGradientOperator
    {
        private readonly int quarter = ((k % 4) + 4) % 4;

        /// <inheritdoc/>
        public T Apply<T>(T a, T g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var s = (quarter & 1) == 0 ? ElementaryMath.Sin(a) : ElementaryMath.Cos(a);
            return g * (quarter >= 2 ? -s : s);
        }

        /// <inheritdoc/>
        public Variable? Chain(Variable a, Variable g, Variable ggx) => GradientStep.Of(a, F.Mul(g, ggx), new SineGradient(quarter + 1));
    }
}
