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
internal interface IPack<TSelf, T>
    where TSelf : unmanaged, IPack<TSelf, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements per pack.</summary>
    static abstract int Lanes { get; }

    /// <summary><paramref name="op"/> applied to every lane.</summary>
    static abstract TSelf Map<TOp>(TSelf x, ref TOp op) where TOp : struct, IUnaryOperator;

    /// <summary><paramref name="op"/> applied lane by lane.</summary>
    static abstract TSelf Zip<TOp>(TSelf a, TSelf b, ref TOp op) where TOp : struct, IBinaryOperator;

    /// <summary>A pack with every lane <paramref name="value"/>.</summary>
    static abstract TSelf Splat(T value);

    /// <summary>TReduce's combination lane by lane.</summary>
    static abstract TSelf Combine<TReduce>(TSelf a, TSelf b) where TReduce : struct, IReduction;

    /// <summary>TReduce over the lanes.</summary>
    static abstract T Fold<TReduce>(TSelf x) where TReduce : struct, IReduction;

    /// <summary>The pack of elements first, first + 1, … of <paramref name="source"/>.</summary>
    static abstract TSelf Gather<TSource>(in TSource source, long first) where TSource : struct, IElements<T>;

    /// <summary>
    /// <paramref name="expr"/> lane by lane over the packs of its inputs. By reference, as operators are passed: the
    /// expression's parameters are read in place.
    /// </summary>
    static abstract TSelf Apply<TExpr>(ref TExpr expr, in Operands<TSelf> x) where TExpr : struct, IExpression;

    /// <summary><paramref name="rule"/> lane by lane: the new parameter and states (g is returned as given).</summary>
    static abstract UpdateOperands<TSelf> Update<TRule>(ref TRule rule, in UpdateOperands<TSelf> x)
        where TRule : struct, IUpdateRule;
}

/// <summary>Four floats, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct Float4 : IPack<Float4, float>
{
    /// <summary>Lanes 0 to 3.</summary>
    public float X, Y, Z, W;

    /// <inheritdoc/>
    public static int Lanes => 4;

    /// <inheritdoc/>
    public static Float4 Map<TOp>(Float4 x, ref TOp op) where TOp : struct, IUnaryOperator =>
        new() { X = op.Apply(x.X), Y = op.Apply(x.Y), Z = op.Apply(x.Z), W = op.Apply(x.W) };

    /// <inheritdoc/>
    public static Float4 Zip<TOp>(Float4 a, Float4 b, ref TOp op) where TOp : struct, IBinaryOperator =>
        new() { X = op.Apply(a.X, b.X), Y = op.Apply(a.Y, b.Y), Z = op.Apply(a.Z, b.Z), W = op.Apply(a.W, b.W) };

    /// <inheritdoc/>
    public static Float4 Splat(float value) => new() { X = value, Y = value, Z = value, W = value };

    /// <inheritdoc/>
    public static Float4 Combine<TReduce>(Float4 a, Float4 b) where TReduce : struct, IReduction =>
        new() { X = TReduce.Combine(a.X, b.X), Y = TReduce.Combine(a.Y, b.Y), Z = TReduce.Combine(a.Z, b.Z), W = TReduce.Combine(a.W, b.W) };

    /// <inheritdoc/>
    public static float Fold<TReduce>(Float4 x) where TReduce : struct, IReduction =>
        TReduce.Combine(TReduce.Combine(x.X, x.Y), TReduce.Combine(x.Z, x.W));

    /// <inheritdoc/>
    public static Float4 Gather<TSource>(in TSource source, long first) where TSource : struct, IElements<float> =>
        new() { X = source[first], Y = source[first + 1], Z = source[first + 2], W = source[first + 3] };

    /// <inheritdoc/>
    public static UpdateOperands<Float4> Update<TRule>(ref TRule rule, in UpdateOperands<Float4> x)
        where TRule : struct, IUpdateRule
    {
        var (px, ax, bx) = rule.Apply(x.P.X, x.G.X, x.S1.X, x.S2.X);
        var (py, ay, by) = rule.Apply(x.P.Y, x.G.Y, x.S1.Y, x.S2.Y);
        var (pz, az, bz) = rule.Apply(x.P.Z, x.G.Z, x.S1.Z, x.S2.Z);
        var (pw, aw, bw) = rule.Apply(x.P.W, x.G.W, x.S1.W, x.S2.W);
        return new(
            new() { X = px, Y = py, Z = pz, W = pw }, x.G,
            new() { X = ax, Y = ay, Z = az, W = aw }, new() { X = bx, Y = by, Z = bz, W = bw });
    }

    /// <inheritdoc/>
    public static Float4 Apply<TExpr>(ref TExpr expr, in Operands<Float4> x) where TExpr : struct, IExpression =>
        new()
        {
            X = expr.Apply(LaneX(x)), Y = expr.Apply(LaneY(x)), Z = expr.Apply(LaneZ(x)), W = expr.Apply(LaneW(x)),
        };

    private static Operands<float> LaneX(in Operands<Float4> x) => new()
    {
        X0 = x.X0.X, X1 = x.X1.X, X2 = x.X2.X, X3 = x.X3.X, X4 = x.X4.X, X5 = x.X5.X, X6 = x.X6.X, X7 = x.X7.X,
    };

    private static Operands<float> LaneY(in Operands<Float4> x) => new()
    {
        X0 = x.X0.Y, X1 = x.X1.Y, X2 = x.X2.Y, X3 = x.X3.Y, X4 = x.X4.Y, X5 = x.X5.Y, X6 = x.X6.Y, X7 = x.X7.Y,
    };

    private static Operands<float> LaneZ(in Operands<Float4> x) => new()
    {
        X0 = x.X0.Z, X1 = x.X1.Z, X2 = x.X2.Z, X3 = x.X3.Z, X4 = x.X4.Z, X5 = x.X5.Z, X6 = x.X6.Z, X7 = x.X7.Z,
    };

    private static Operands<float> LaneW(in Operands<Float4> x) => new()
    {
        X0 = x.X0.W, X1 = x.X1.W, X2 = x.X2.W, X3 = x.X3.W, X4 = x.X4.W, X5 = x.X5.W, X6 = x.X6.W, X7 = x.X7.W,
    };
}

/// <summary>Two doubles, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct Double2 : IPack<Double2, double>
{
    /// <summary>Lanes 0 and 1.</summary>
    public double X, Y;

    /// <inheritdoc/>
    public static int Lanes => 2;

    /// <inheritdoc/>
    public static Double2 Map<TOp>(Double2 x, ref TOp op) where TOp : struct, IUnaryOperator =>
        new() { X = op.Apply(x.X), Y = op.Apply(x.Y) };

    /// <inheritdoc/>
    public static Double2 Zip<TOp>(Double2 a, Double2 b, ref TOp op) where TOp : struct, IBinaryOperator =>
        new() { X = op.Apply(a.X, b.X), Y = op.Apply(a.Y, b.Y) };

    /// <inheritdoc/>
    public static Double2 Splat(double value) => new() { X = value, Y = value };

    /// <inheritdoc/>
    public static Double2 Combine<TReduce>(Double2 a, Double2 b) where TReduce : struct, IReduction =>
        new() { X = TReduce.Combine(a.X, b.X), Y = TReduce.Combine(a.Y, b.Y) };

    /// <inheritdoc/>
    public static double Fold<TReduce>(Double2 x) where TReduce : struct, IReduction => TReduce.Combine(x.X, x.Y);

    /// <inheritdoc/>
    public static Double2 Gather<TSource>(in TSource source, long first) where TSource : struct, IElements<double> =>
        new() { X = source[first], Y = source[first + 1] };

    /// <inheritdoc/>
    public static UpdateOperands<Double2> Update<TRule>(ref TRule rule, in UpdateOperands<Double2> x)
        where TRule : struct, IUpdateRule
    {
        var (px, ax, bx) = rule.Apply(x.P.X, x.G.X, x.S1.X, x.S2.X);
        var (py, ay, by) = rule.Apply(x.P.Y, x.G.Y, x.S1.Y, x.S2.Y);
        return new(new() { X = px, Y = py }, x.G, new() { X = ax, Y = ay }, new() { X = bx, Y = by });
    }

    /// <inheritdoc/>
    public static Double2 Apply<TExpr>(ref TExpr expr, in Operands<Double2> x) where TExpr : struct, IExpression =>
        new() { X = expr.Apply(LaneX(x)), Y = expr.Apply(LaneY(x)) };

    private static Operands<double> LaneX(in Operands<Double2> x) => new()
    {
        X0 = x.X0.X, X1 = x.X1.X, X2 = x.X2.X, X3 = x.X3.X, X4 = x.X4.X, X5 = x.X5.X, X6 = x.X6.X, X7 = x.X7.X,
    };

    private static Operands<double> LaneY(in Operands<Double2> x) => new()
    {
        X0 = x.X0.Y, X1 = x.X1.Y, X2 = x.X2.Y, X3 = x.X3.Y, X4 = x.X4.Y, X5 = x.X5.Y, X6 = x.X6.Y, X7 = x.X7.Y,
    };
}

/// <summary>One element as a pack: the fallback for views that are not 16-byte aligned or rows that do not fill whole packs.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal struct Single<T> : IPack<Single<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The element.</summary>
    public T Value;

    /// <inheritdoc/>
    public static int Lanes => 1;

    /// <inheritdoc/>
    public static Single<T> Map<TOp>(Single<T> x, ref TOp op) where TOp : struct, IUnaryOperator => new() { Value = op.Apply(x.Value) };

    /// <inheritdoc/>
    public static Single<T> Zip<TOp>(Single<T> a, Single<T> b, ref TOp op) where TOp : struct, IBinaryOperator => new() { Value = op.Apply(a.Value, b.Value) };

    /// <inheritdoc/>
    public static Single<T> Splat(T value) => new() { Value = value };

    /// <inheritdoc/>
    public static Single<T> Combine<TReduce>(Single<T> a, Single<T> b) where TReduce : struct, IReduction =>
        new() { Value = TReduce.Combine(a.Value, b.Value) };

    /// <inheritdoc/>
    public static T Fold<TReduce>(Single<T> x) where TReduce : struct, IReduction => x.Value;

    /// <inheritdoc/>
    public static Single<T> Gather<TSource>(in TSource source, long first) where TSource : struct, IElements<T> =>
        new() { Value = source[first] };

    /// <inheritdoc/>
    public static UpdateOperands<Single<T>> Update<TRule>(ref TRule rule, in UpdateOperands<Single<T>> x)
        where TRule : struct, IUpdateRule
    {
        var (p, a, b) = rule.Apply(x.P.Value, x.G.Value, x.S1.Value, x.S2.Value);
        return new(new() { Value = p }, x.G, new() { Value = a }, new() { Value = b });
    }

    /// <inheritdoc/>
    public static Single<T> Apply<TExpr>(ref TExpr expr, in Operands<Single<T>> x) where TExpr : struct, IExpression =>
        new()
        {
            Value = expr.Apply(new Operands<T>
            {
                X0 = x.X0.Value, X1 = x.X1.Value, X2 = x.X2.Value, X3 = x.X3.Value,
                X4 = x.X4.Value, X5 = x.X5.Value, X6 = x.X6.Value, X7 = x.X7.Value,
            }),
        };
}
