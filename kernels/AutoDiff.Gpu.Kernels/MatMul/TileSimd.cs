using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// One SIMD width for the register tile of the CPU's packed product: a tile is <see cref="TileRows"/> rows of two
/// vectors. Static members on a struct, so the JIT compiles each width's tile as if written for it.
/// </summary>
internal unsafe interface ITileSimd<T, TVector>
    where T : unmanaged
    where TVector : struct
{
    /// <summary>Elements per vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>Rows of a register tile: as many as the vector registers hold with two vectors a row.</summary>
    static abstract int TileRows { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Load(T* source);

    static abstract TVector Broadcast(T* source);

    /// <summary>a·b + c, one rounding.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    static abstract void Store(TVector value, T* target);
}

/// <summary>512-bit tiles: 12 rows × 2 vectors, 24 accumulators of the 32 registers.</summary>
internal unsafe struct TileSimd512<T> : ITileSimd<T, Vector512<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Lanes => Vector512<T>.Count;

    public static int TileRows => 12;

    public static Vector512<T> Zero => Vector512<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(T* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T* source) => Vector512.Create(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
            : Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, T* target) => value.Store(target);
}

/// <summary>256-bit tiles: 6 rows × 2 vectors, 12 accumulators of the 16 registers.</summary>
internal unsafe struct TileSimd256<T> : ITileSimd<T, Vector256<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Lanes => Vector256<T>.Count;

    public static int TileRows => 6;

    public static Vector256<T> Zero => Vector256<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(T* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T* source) => Vector256.Create(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
            : Vector256.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, T* target) => value.Store(target);
}

/// <summary>128-bit tiles: 6 rows × 2 vectors.</summary>
internal unsafe struct TileSimd128<T> : ITileSimd<T, Vector128<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Lanes => Vector128<T>.Count;

    public static int TileRows => 6;

    public static Vector128<T> Zero => Vector128<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(T* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T* source) => Vector128.Create(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) =>
        typeof(T) == typeof(float)
            ? Vector128.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
            : Vector128.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, T* target) => value.Store(target);
}
