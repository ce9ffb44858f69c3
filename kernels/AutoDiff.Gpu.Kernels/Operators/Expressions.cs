using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// Expression nodes are plain data with static factories, composed at run time (MakeGenericType).
#pragma warning disable CA1000, CA1051

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// An elementwise expression of up to <see cref="Operands{T}.Count"/> inputs, <c>y = e(x₀, …, x₇)</c>: a tree of
/// operators (<see cref="Unary{TOp, TX}"/>, <see cref="Binary{TOp, TA, TB}"/>) over inputs
/// (<see cref="Arg{TSlot}"/>, or <see cref="BroadcastArg{TSlot, TRun}"/> for an input broadcast to the expression) and
/// constants (<see cref="Constant"/>). One kernel runs any expression; its type is its shape and its inputs' layout
/// class, so each compiles once. A fused chain of maps and zips is one such expression.
/// </summary>
public interface IExpression
{
    /// <summary>One more than the highest input slot the expression reads (0: none).</summary>
    static abstract int Inputs { get; }

    /// <summary>Bit k set: slot k is read through its <see cref="BroadcastIndex"/>, not at element i.</summary>
    static abstract int Broadcast { get; }

    /// <summary>Bit k set: slot k is broadcast, one value repeated along each innermost run (step 0).</summary>
    static abstract int Repeated { get; }

    /// <summary>Whether <see cref="ApplyVector{T}"/> is implemented: every operator in the tree has a vector form.</summary>
    static virtual bool Vectorized => false;

    /// <summary>Whether every operator in the tree is light (<see cref="IUnaryOperator.Light"/>).</summary>
    static virtual bool Light => false;

    /// <summary>The expression for one element, its inputs' values in <paramref name="x"/>.</summary>
    T Apply<T>(in Operands<T> x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The expression for a vector of elements (CPU only; called only where <see cref="Vectorized"/>).</summary>
    Vector<T> ApplyVector<T>(in Operands<Vector<T>> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException($"{GetType().Name} has no vector form");
}

/// <summary>An expression type that can make its value from operators listed in prefix order.</summary>
/// <typeparam name="TSelf">The expression type.</typeparam>
internal interface IExpressionFactory<TSelf>
    where TSelf : struct, IExpression
{
    /// <summary>The expression whose operators are the next ones of <paramref name="operators"/>, in prefix order.</summary>
    static abstract TSelf Create(OperatorList operators);
}

/// <summary>The operator values of an expression in prefix order (an operator struct, boxed, per node that has one).</summary>
/// <param name="items">The operators.</param>
internal sealed class OperatorList(object[] items)
{
    private int next;

    /// <summary>The next operator, as <typeparamref name="TOp"/>.</summary>
    public TOp Next<TOp>()
        where TOp : struct =>
        (TOp)items[next++];
}

/// <summary>
/// One value per input slot, slot k in Xk: an element's inputs, or a fused launch's broadcast indices (slots past the
/// expression's inputs are unused).
/// </summary>
/// <typeparam name="T">The element type, a vector of it, or <see cref="BroadcastIndex"/>.</typeparam>
[StructLayout(LayoutKind.Sequential)]
public struct Operands<T>
    where T : unmanaged
{
    /// <summary>The number of slots.</summary>
    public const int Count = 8;

    /// <summary>Slots 0 to 7.</summary>
    public T X0, X1, X2, X3, X4, X5, X6, X7;

    /// <summary>Slot <paramref name="k"/> (a constant in every caller, so the switch folds away).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly T At(int k) => k switch
    {
        0 => X0,
        1 => X1,
        2 => X2,
        3 => X3,
        4 => X4,
        5 => X5,
        6 => X6,
        _ => X7,
    };

    /// <summary>Sets slot <paramref name="k"/> (0 to 7), by offset from X0: the slots are laid out in order.</summary>
    /// <remarks>
    /// Host code sets slots in loops over k. A switch over k there was miscompiled under dynamic PGO: a loop that
    /// had seen only k = 0 while an expression of one input was hot later set X0 for k = 1 too, and the launch read
    /// a null slot.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int k, T value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)k, (uint)Count, nameof(k));
        Unsafe.Add(ref X0, k) = value;
    }
}

/// <summary>An input slot of an expression, as a type.</summary>
internal interface ISlot
{
    /// <summary>The slot's index.</summary>
    static abstract int Index { get; }
}

/// <summary>Input slots 0 to 7.</summary>
internal static class Slots
{
    /// <summary>The slot types, by index.</summary>
    public static readonly Type[] Types =
        [typeof(S0), typeof(S1), typeof(S2), typeof(S3), typeof(S4), typeof(S5), typeof(S6), typeof(S7)];

    /// <summary>Slot 0.</summary>
    public readonly struct S0 : ISlot { /** <inheritdoc/> */ public static int Index => 0; }

    /// <summary>Slot 1.</summary>
    public readonly struct S1 : ISlot { /** <inheritdoc/> */ public static int Index => 1; }

    /// <summary>Slot 2.</summary>
    public readonly struct S2 : ISlot { /** <inheritdoc/> */ public static int Index => 2; }

    /// <summary>Slot 3.</summary>
    public readonly struct S3 : ISlot { /** <inheritdoc/> */ public static int Index => 3; }

    /// <summary>Slot 4.</summary>
    public readonly struct S4 : ISlot { /** <inheritdoc/> */ public static int Index => 4; }

    /// <summary>Slot 5.</summary>
    public readonly struct S5 : ISlot { /** <inheritdoc/> */ public static int Index => 5; }

    /// <summary>Slot 6.</summary>
    public readonly struct S6 : ISlot { /** <inheritdoc/> */ public static int Index => 6; }

    /// <summary>Slot 7.</summary>
    public readonly struct S7 : ISlot { /** <inheritdoc/> */ public static int Index => 7; }
}

/// <summary>x_k, the value of input slot k.</summary>
/// <typeparam name="TSlot">The slot.</typeparam>
internal readonly struct Arg<TSlot> : IExpression, IExpressionFactory<Arg<TSlot>>
    where TSlot : struct, ISlot
{
    /// <inheritdoc/>
    public static int Inputs => TSlot.Index + 1;

    /// <inheritdoc/>
    public static int Broadcast => 0;

    /// <inheritdoc/>
    public static int Repeated => 0;

    /// <inheritdoc/>
    public static bool Vectorized => true;

    /// <inheritdoc/>
    public static bool Light => true;

    /// <inheritdoc/>
    public static Arg<TSlot> Create(OperatorList operators) => default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Apply<T>(in Operands<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.At(TSlot.Index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> ApplyVector<T>(in Operands<Vector<T>> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.At(TSlot.Index);
}

/// <summary>How a broadcast input's offset moves along an innermost run, as a type.</summary>
internal interface IRun
{
    /// <summary>The step: 1 (contiguous runs: a row of biases) or 0 (one value repeated: a column).</summary>
    static abstract int Step { get; }
}

/// <summary>The two kinds of runs.</summary>
internal static class Runs
{
    /// <summary>The offset steps by 1 along a run.</summary>
    public readonly struct Contiguous : IRun { /** <inheritdoc/> */ public static int Step => 1; }

    /// <summary>One value repeats along a run.</summary>
    public readonly struct Repeated : IRun { /** <inheritdoc/> */ public static int Step => 0; }
}

/// <summary>x_k of an input broadcast to the expression's shape, read by its <see cref="BroadcastIndex"/>.</summary>
/// <typeparam name="TSlot">The slot.</typeparam>
/// <typeparam name="TRun">How the offset moves along an innermost run (the index's step).</typeparam>
internal readonly struct BroadcastArg<TSlot, TRun> : IExpression, IExpressionFactory<BroadcastArg<TSlot, TRun>>
    where TSlot : struct, ISlot
    where TRun : struct, IRun
{
    /// <inheritdoc/>
    public static int Inputs => TSlot.Index + 1;

    /// <inheritdoc/>
    public static int Broadcast => 1 << TSlot.Index;

    /// <inheritdoc/>
    public static int Repeated => TRun.Step == 0 ? 1 << TSlot.Index : 0;

    /// <inheritdoc/>
    public static bool Vectorized => true;

    /// <inheritdoc/>
    public static bool Light => true;

    /// <inheritdoc/>
    public static BroadcastArg<TSlot, TRun> Create(OperatorList operators) => default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Apply<T>(in Operands<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x.At(TSlot.Index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> ApplyVector<T>(in Operands<Vector<T>> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.At(TSlot.Index);
}

/// <summary>c, the same value for every element (a fill, or the ones that start a backward pass).</summary>
/// <param name="value">The value.</param>
internal struct Constant(double value) : IExpression, IExpressionFactory<Constant>
{
    private Parameter value = value; // not readonly: see Parameter

    /// <summary>The value as given.</summary>
    public readonly double Value => value.Value;

    /// <inheritdoc/>
    public static int Inputs => 0;

    /// <inheritdoc/>
    public static int Broadcast => 0;

    /// <inheritdoc/>
    public static int Repeated => 0;

    /// <inheritdoc/>
    public static bool Vectorized => true;

    /// <inheritdoc/>
    public static bool Light => true;

    /// <inheritdoc/>
    public static Constant Create(OperatorList operators) => operators.Next<Constant>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Apply<T>(in Operands<T> x) where T : unmanaged, IFloatingPointIeee754<T> => value.As<T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> ApplyVector<T>(in Operands<Vector<T>> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(value.As<T>());
}

/// <summary>op(x), x an expression.</summary>
/// <typeparam name="TOp">The operator.</typeparam>
/// <typeparam name="TX">The operand.</typeparam>
internal struct Unary<TOp, TX> : IExpression, IExpressionFactory<Unary<TOp, TX>>
    where TOp : struct, IUnaryOperator
    where TX : struct, IExpression, IExpressionFactory<TX>
{
    private TOp op; // not readonly: see Parameter
    private TX x;

    /// <inheritdoc/>
    public static int Inputs => TX.Inputs;

    /// <inheritdoc/>
    public static int Broadcast => TX.Broadcast;

    /// <inheritdoc/>
    public static int Repeated => TX.Repeated;

    /// <inheritdoc/>
    public static bool Vectorized => TOp.Vectorized && TX.Vectorized;

    /// <inheritdoc/>
    public static bool Light => TOp.Light && TX.Light;

    /// <inheritdoc/>
    public static Unary<TOp, TX> Create(OperatorList operators)
    {
        var op = operators.Next<TOp>();
        return new() { op = op, x = TX.Create(operators) };
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Apply<T>(in Operands<T> x) where T : unmanaged, IFloatingPointIeee754<T> => op.Apply(this.x.Apply(in x));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> ApplyVector<T>(in Operands<Vector<T>> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        op.ApplyVector(this.x.ApplyVector(in x));
}

/// <summary>op(a, b), a and b expressions.</summary>
/// <typeparam name="TOp">The operator.</typeparam>
/// <typeparam name="TA">The first operand.</typeparam>
/// <typeparam name="TB">The second operand.</typeparam>
internal struct Binary<TOp, TA, TB> : IExpression, IExpressionFactory<Binary<TOp, TA, TB>>
    where TOp : struct, IBinaryOperator
    where TA : struct, IExpression, IExpressionFactory<TA>
    where TB : struct, IExpression, IExpressionFactory<TB>
{
    private TOp op; // not readonly: see Parameter
    private TA a;
    private TB b;

    /// <inheritdoc/>
    public static int Inputs => Math.Max(TA.Inputs, TB.Inputs);

    /// <inheritdoc/>
    public static int Broadcast => TA.Broadcast | TB.Broadcast;

    /// <inheritdoc/>
    public static int Repeated => TA.Repeated | TB.Repeated;

    /// <inheritdoc/>
    public static bool Vectorized => TOp.Vectorized && TA.Vectorized && TB.Vectorized;

    /// <inheritdoc/>
    public static bool Light => TOp.Light && TA.Light && TB.Light;

    /// <inheritdoc/>
    public static Binary<TOp, TA, TB> Create(OperatorList operators)
    {
        var op = operators.Next<TOp>();
        var a = TA.Create(operators);
        return new() { op = op, a = a, b = TB.Create(operators) };
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Apply<T>(in Operands<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        op.Apply(a.Apply(in x), b.Apply(in x));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> ApplyVector<T>(in Operands<Vector<T>> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        op.ApplyVector(a.ApplyVector(in x), b.ApplyVector(in x));
}
