using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions;

/// <summary>Forward <c>y = x²</c>; backward <c>gx = 2·x·gy</c> (one fused kernel).</summary>
public sealed class Square : Function
{
    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs) => [Elementwise.Map<SquareOperator>(xs[0])];

    /// <inheritdoc/>
    protected override Tensor[] Backward(Tensor[] gys) => [Elementwise.Zip<SquareBackwardOperator>(Name, Input(0), gys[0])];
}

/// <summary>x·x</summary>
public readonly struct SquareOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static T Apply<T>(T x) where T : unmanaged, INumber<T> => x * x;
}

/// <summary>2·x·gy</summary>
public readonly struct SquareBackwardOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static T Apply<T>(T x, T gy) where T : unmanaged, INumber<T> => (x + x) * gy;
}
