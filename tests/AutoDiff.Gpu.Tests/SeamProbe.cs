using System.Diagnostics;
using System.Numerics;
using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Tests;

/// <summary>An elementwise function whose operator notes how deep below the caller it runs.</summary>
internal sealed class FrameProbe() : UnaryFunction<FrameProbeOperator>(default)
{
    protected override Variable?[] Backward(Variable[] gys) => [gys[0]];
}

internal readonly struct FrameProbeOperator : IUnaryOperator
{
    [ThreadStatic]
    public static StackTrace? Seen;

    public static bool Vectorized => false;

    public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Seen ??= new StackTrace();
        return x;
    }

    public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x;
}
