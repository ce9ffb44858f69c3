using System.Numerics;

namespace AutoDiff.Gpu.Kernels;

/// <summary>An elementwise function of one value, <c>y = f(x)</c>, compiled into <see cref="ElementwiseKernels.MapChunked{T, TOp}"/>.</summary>
public interface IUnaryOperator
{
    /// <summary>Computes the function for one element.</summary>
    static abstract T Apply<T>(T x) where T : unmanaged, INumber<T>;
}

/// <summary>An elementwise function of two values, <c>y = f(a, b)</c>, compiled into <see cref="ElementwiseKernels.ZipChunked{T, TOp}"/>.</summary>
public interface IBinaryOperator
{
    /// <summary>Computes the function for one pair of elements.</summary>
    static abstract T Apply<T>(T a, T b) where T : unmanaged, INumber<T>;
}
