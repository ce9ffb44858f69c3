using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions
{
    /// <summary>Forward <c>y = x²</c>; backward <c>gx = 2·x·gy</c> (one fused kernel, <see cref="TwiceProduct"/>).</summary>
    public sealed class Square : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 1;

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs) => [Launch.Map(xs[0], default(SquareOperator))];

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [TwiceProduct.Of(Input(0), gys[0])];
    }

    /// <summary>
    /// Forward <c>y = 2·a·b</c> for a and b of one shape, the derivative of a square (<c>a = x</c>, <c>b = gy</c>)
    /// as one kernel; backward <c>ga = 2·b·gy</c>, <c>gb = 2·a·gy</c>: itself again, so every order of derivative
    /// of a square stays fused.
    /// </summary>
    public sealed class TwiceProduct : Function
    {
        /// <inheritdoc/>
        protected override int Arity => 2;

        /// <summary>2·a·b as a variable.</summary>
        public static Variable Of(Variable a, Variable b) => new TwiceProduct().Call(a, b)[0];

        /// <inheritdoc/>
        protected override Tensor[] Forward(Tensor[] xs)
        {
            if (!xs[0].Shape.Equals(xs[1].Shape))
                throw new ArgumentException($"{Name}: shapes differ ({xs[0].Shape} and {xs[1].Shape}); it takes one shape");
            return [Launch.Zip(Name, xs[0], xs[1], default(SquareBackwardOperator))];
        }

        /// <inheritdoc/>
        protected override Variable?[] Backward(Variable[] gys) => [Of(Input(1), gys[0]), Of(Input(0), gys[0])];
    }

    /// <summary>x·x</summary>
    public readonly struct SquareOperator : IUnaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x * x;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x * x;
    }

    /// <summary>2·x·gy</summary>
    public readonly struct SquareBackwardOperator : IBinaryOperator
    {
        /// <inheritdoc/>
        public T Apply<T>(T x, T gy) where T : unmanaged, IFloatingPointIeee754<T> => (x + x) * gy;

        /// <inheritdoc/>
        public static bool Vectorized => true;

        /// <inheritdoc/>
        public static bool Light => true;

        /// <inheritdoc/>
        public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => (a + a) * b;
    }
}

namespace AutoDiff.Gpu
{
    public static partial class F
    {
        /// <summary>y = x².</summary>
        public static Variable Square(Variable x) => new Functions.Square().Call(x)[0];
    }
}
