using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions;

/// <summary>Forward <c>y = x0 + x1</c>; backward <c>gx0 = gy, gx1 = gy</c> (no kernel: the gradient is passed on).</summary>
public sealed class Add : Function
{
    /// <inheritdoc/>
    protected override int Arity => 2;

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs) => [Elementwise.Zip<AddOperator>(Name, xs[0], xs[1])];

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys) => [gys[0], gys[0]];
}

/// <summary>a + b</summary>
public readonly struct AddOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
}
