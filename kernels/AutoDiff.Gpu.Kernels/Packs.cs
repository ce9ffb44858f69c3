using System.Numerics;
using System.Runtime.InteropServices;

// Packs are plain data with public lanes, and implement their interface's static members.
#pragma warning disable CA1051, CA1000

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Several elements loaded and stored as one value. On GPUs a 16-byte pack becomes one vector load or store
/// (<c>ld.global.v4.f32</c>), which is what brings an elementwise kernel to the card's copy bandwidth.
/// </summary>
/// <typeparam name="TSelf">The pack type.</typeparam>
/// <typeparam name="T">The element type.</typeparam>
public interface IPack<TSelf, T>
    where TSelf : unmanaged, IPack<TSelf, T>
    where T : unmanaged, INumber<T>
{
    /// <summary>Elements per pack.</summary>
    static abstract int Lanes { get; }

    /// <summary>TOp applied to every lane.</summary>
    static abstract TSelf Map<TOp>(TSelf x) where TOp : struct, IUnaryOperator;

    /// <summary>TOp applied lane by lane.</summary>
    static abstract TSelf Zip<TOp>(TSelf a, TSelf b) where TOp : struct, IBinaryOperator;

    /// <summary>A pack with every lane <paramref name="value"/>.</summary>
    static abstract TSelf Splat(T value);
}

/// <summary>Four floats, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct Float4 : IPack<Float4, float>
{
    /// <summary>Lanes 0 to 3.</summary>
    public float X, Y, Z, W;

    /// <inheritdoc/>
    public static int Lanes => 4;

    /// <inheritdoc/>
    public static Float4 Map<TOp>(Float4 x) where TOp : struct, IUnaryOperator =>
        new() { X = TOp.Apply(x.X), Y = TOp.Apply(x.Y), Z = TOp.Apply(x.Z), W = TOp.Apply(x.W) };

    /// <inheritdoc/>
    public static Float4 Zip<TOp>(Float4 a, Float4 b) where TOp : struct, IBinaryOperator =>
        new() { X = TOp.Apply(a.X, b.X), Y = TOp.Apply(a.Y, b.Y), Z = TOp.Apply(a.Z, b.Z), W = TOp.Apply(a.W, b.W) };

    /// <inheritdoc/>
    public static Float4 Splat(float value) => new() { X = value, Y = value, Z = value, W = value };
}

/// <summary>Two doubles, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct Double2 : IPack<Double2, double>
{
    /// <summary>Lanes 0 and 1.</summary>
    public double X, Y;

    /// <inheritdoc/>
    public static int Lanes => 2;

    /// <inheritdoc/>
    public static Double2 Map<TOp>(Double2 x) where TOp : struct, IUnaryOperator =>
        new() { X = TOp.Apply(x.X), Y = TOp.Apply(x.Y) };

    /// <inheritdoc/>
    public static Double2 Zip<TOp>(Double2 a, Double2 b) where TOp : struct, IBinaryOperator =>
        new() { X = TOp.Apply(a.X, b.X), Y = TOp.Apply(a.Y, b.Y) };

    /// <inheritdoc/>
    public static Double2 Splat(double value) => new() { X = value, Y = value };
}

/// <summary>One element as a pack: the fallback for views that are not 16-byte aligned.</summary>
/// <typeparam name="T">The element type.</typeparam>
public struct Single<T> : IPack<Single<T>, T>
    where T : unmanaged, INumber<T>
{
    /// <summary>The element.</summary>
    public T Value;

    /// <inheritdoc/>
    public static int Lanes => 1;

    /// <inheritdoc/>
    public static Single<T> Map<TOp>(Single<T> x) where TOp : struct, IUnaryOperator => new() { Value = TOp.Apply(x.Value) };

    /// <inheritdoc/>
    public static Single<T> Zip<TOp>(Single<T> a, Single<T> b) where TOp : struct, IBinaryOperator => new() { Value = TOp.Apply(a.Value, b.Value) };

    /// <inheritdoc/>
    public static Single<T> Splat(T value) => new() { Value = value };
}
