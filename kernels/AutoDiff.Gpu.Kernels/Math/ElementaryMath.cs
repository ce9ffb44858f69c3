using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Elementary functions written in plain arithmetic (range reduction, polynomials, explicit fused
/// multiply-adds), so that every backend computes the same accurate values: ILGPU would otherwise lower
/// <c>T.Exp</c>, <c>T.Log</c>, <c>T.Tanh</c>… to PTX approximations on CUDA, OpenCL built-ins, or .NET's
/// Math on the CPU accelerator. float32 is computed in float32 (consumer GPUs run float64 far slower).
/// Each generic method is callable inside kernels; the element type is chosen by its size, a constant
/// after specialisation.
/// </summary>
internal static partial class ElementaryMath
{
    /// <summary>Whether <typeparamref name="T"/> is float32 (otherwise float64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSingle<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Interop.SizeOf<T>() == sizeof(float);

    /// <summary>A float32 element as float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float AsSingle<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Unsafe.As<T, float>(ref x);

    /// <summary>A float64 element as double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double AsDouble<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Unsafe.As<T, double>(ref x);

    /// <summary>A float as the float32 element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Element<T>(float x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Unsafe.As<float, T>(ref x);

    /// <summary>A double as the float64 element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Element<T>(double x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Unsafe.As<double, T>(ref x);

    /// <summary>2^k as float for −126 ≤ k ≤ 127, built from its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Pow2Single(int k) => Interop.IntAsFloat((uint)(k + 127) << 23);

    /// <summary>2^k as double for −1022 ≤ k ≤ 1023, built from its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Pow2Double(int k) => Interop.IntAsFloat((ulong)(k + 1023) << 52);

    /// <summary>Whether x is NaN, from its bits: OpenCL compilers have been seen to fold isnan and unordered comparisons.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNaNBits(float x) => (Interop.FloatAsInt(x) & 0x7fffffffu) > 0x7f800000u;

    /// <summary>Whether x is NaN, from its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNaNBits(double x) => (Interop.FloatAsInt(x) & 0x7fffffffffffffffUL) > 0x7ff0000000000000UL;
}
