using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

// The generic wrappers implement the operator interfaces' static Vectorized.
#pragma warning disable CA1000

namespace AutoDiff.Gpu.Kernels;

// Operators are struct functors. Their Apply is an instance method so that an operator can carry runtime
// parameters (an exponent, a scale) as fields; the struct is passed to the kernel as an argument, and a
// stateless operator is an empty struct (default). Apply is generic in the element type with the
// IFloatingPointIeee754 constraint, so one operator serves float32 and float64. For eˣ, ln x, tanh x, sin x and
// cos x it calls ElementaryMath (plain arithmetic: the same accurate values on every backend, where T.Exp, T.Log,
// T.Tanh, T.Sin and T.Cos lower to PTX approximations on CUDA). T.Pow, T.Max, T.Sqrt compile too: ILGPU maps them
// to the backend's math (PTX through ILGPU.Algorithms, which the context must enable; OpenCL built-ins; .NET's
// Math on the CPU accelerator).
// Conversions between element types (T.CreateTruncating) do not compile for GPUs. A parameter is a Parameter field
// (read with c.As<T>(), no conversion in the kernel), in an operator that is a mutable struct, as are the
// wrappers below: see Parameter for why. Scalar.To converts on the host.

/// <summary>An elementwise function of one value, <c>y = f(x)</c>.</summary>
/// <remarks>
/// An operator may also give a SIMD form for the CPU accelerator's contiguous loops: <see cref="Vectorized"/> true and
/// <see cref="ApplyVector{T}(Vector{T})"/> equal, lane for lane and bit for bit, to <see cref="Apply{T}(T)"/>, so that
/// a result never depends on where an element falls in a chunk. GPU kernels use <see cref="Apply{T}(T)"/> only.
/// </remarks>
public interface IUnaryOperator
{
    /// <summary>Computes the function for one element.</summary>
    T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Whether <see cref="ApplyVector{T}(Vector{T})"/> is implemented (a constant for each operator type).</summary>
    static virtual bool Vectorized => false;

    /// <summary>
    /// Whether a vector costs a few arithmetic instructions, so that a large result is bound by memory and stores past
    /// the caches (<see cref="NonTemporal"/>); transcendental functions, powers and divisions are not light.
    /// </summary>
    static virtual bool Light => false;

    /// <summary>Computes the function for a vector of elements (CPU only; called only where <see cref="Vectorized"/>).</summary>
    Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException($"{GetType().Name} has no vector form");
}

/// <summary>An elementwise function of two values, <c>y = f(a, b)</c>.</summary>
/// <remarks>The SIMD form is optional, as <see cref="IUnaryOperator"/>'s.</remarks>
public interface IBinaryOperator
{
    /// <summary>Computes the function for one pair of elements.</summary>
    T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Whether <see cref="ApplyVector{T}(Vector{T}, Vector{T})"/> is implemented (a constant for each operator type).</summary>
    static virtual bool Vectorized => false;

    /// <summary>As <see cref="IUnaryOperator.Light"/>.</summary>
    static virtual bool Light => false;

    /// <summary>Computes the function for vectors of pairs (CPU only; called only where <see cref="Vectorized"/>).</summary>
    Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException($"{GetType().Name} has no vector form");
}

/// <summary>
/// An associative reduction with an identity, <c>y = x₀ ⊕ x₁ ⊕ …</c>. The vector form is what the CPU
/// accelerator's chunked kernels run; GPU kernels use the scalar one.
/// </summary>
public interface IReduction
{
    /// <summary>The identity of <see cref="Combine{T}(T, T)"/> (the result over no elements).</summary>
    static abstract T Identity<T>() where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Combines two partial results.</summary>
    static abstract T Combine<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Combines two vectors of partial results lane by lane (CPU only).</summary>
    static abstract Vector<T> Combine<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>As the <see cref="Vector{T}"/> form, 512 bits wide (CPU only, where the hardware has them).</summary>
    static abstract Vector512<T> Combine<T>(Vector512<T> a, Vector512<T> b) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Element-type helpers that compile inside kernels on every backend.</summary>
internal static class Scalar
{
    /// <summary>
    /// <paramref name="value"/> as a float32 or float64 element, rounded to nearest. Use it for an operator's
    /// runtime parameter (stored as a double field) inside <c>Apply</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T To<T>(double value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Interop.SizeOf is a constant after specialization, so one branch remains; Unsafe.As is a register
        // reinterpretation on GPUs. (T.CreateTruncating tests types at run time, which kernels cannot.)
        if (Interop.SizeOf<T>() == sizeof(float))
        {
            float single = (float)value;
            return Unsafe.As<float, T>(ref single);
        }
        return Unsafe.As<double, T>(ref value);
    }
}

/// <summary>
/// A runtime parameter of an operator (a factor, a term, an exponent), kept in float64 and float32 so that a kernel
/// reads it in its element type without converting. A conversion in the kernel (<see cref="Scalar.To{T}(double)"/>)
/// goes through an address-taken variable, which ILGPU gives a stack slot and stores to at every call: on GPUs a
/// local-memory store per element.
/// </summary>
/// <remarks>
/// Mutable on purpose, as are the operators that hold one and the wrappers that hold operators (fields that are not
/// readonly): reading in place needs a writable reference (ILGPU has no <c>Unsafe.AsRef</c>), and C# copies a
/// readonly field to a local before calling a method on it, which is the store this avoids. Nothing writes to them
/// after construction.
/// </remarks>
/// <param name="value">The value; float32 kernels read it rounded to nearest.</param>
public struct Parameter(double value)
{
    private double value = value;
    private float single = (float)value;

    /// <summary>The value as given.</summary>
    public readonly double Value => value;

    /// <summary>The value as an element of <typeparamref name="T"/>: a field read, no conversion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T As<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Interop.SizeOf<T>() == sizeof(float) ? Unsafe.As<float, T>(ref single) : Unsafe.As<double, T>(ref value);

    /// <summary>A parameter of <paramref name="value"/>.</summary>
    public static implicit operator Parameter(double value) => new(value);

    /// <summary>A parameter of <paramref name="value"/>.</summary>
    public static Parameter FromDouble(double value) => new(value);
}

/// <summary>a + c·b (a gradient step with c = −lr, weight decay with c = rate)</summary>
/// <param name="c">The factor of b.</param>
internal struct AxpyOperator(double c) : IBinaryOperator
{
    private Parameter c = c; // not readonly: see Parameter

    /// <inheritdoc/>
    public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + (c.As<T>() * b);
}

/// <summary>x</summary>
internal readonly struct IdentityOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x;

    /// <inheritdoc/>
    public static bool Vectorized => true;

    /// <inheritdoc/>
    public static bool Light => true;

    /// <inheritdoc/>
    public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x;
}

/// <summary>a + b</summary>
internal readonly struct PlusOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;

    /// <inheritdoc/>
    public static bool Vectorized => true;

    /// <inheritdoc/>
    public static bool Light => true;

    /// <inheritdoc/>
    public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
}

/// <summary>x·c</summary>
/// <param name="c">The factor.</param>
internal struct ScaleOperator(double c) : IUnaryOperator
{
    private Parameter c = c; // not readonly: see Parameter

    /// <inheritdoc/>
    public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x * c.As<T>();

    /// <inheritdoc/>
    public static bool Vectorized => true;

    /// <inheritdoc/>
    public static bool Light => true;

    /// <inheritdoc/>
    public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x * c.As<T>();
}

/// <summary>outer(inner(x))</summary>
/// <typeparam name="TOuter">The function applied second.</typeparam>
/// <typeparam name="TInner">The function applied first.</typeparam>
/// <param name="outer">The function applied second, with its parameters.</param>
/// <param name="inner">The function applied first, with its parameters.</param>
internal struct Compose<TOuter, TInner>(TOuter outer, TInner inner) : IUnaryOperator
    where TOuter : struct, IUnaryOperator
    where TInner : struct, IUnaryOperator
{
    private TOuter outer = outer;
    private TInner inner = inner;

    /// <inheritdoc/>
    public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => outer.Apply(inner.Apply(x));

    /// <inheritdoc/>
    public static bool Vectorized => TOuter.Vectorized && TInner.Vectorized;

    /// <inheritdoc/>
    public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => outer.ApplyVector(inner.ApplyVector(x));
}

/// <summary>then(op(a, b))</summary>
/// <typeparam name="TOp">The binary function.</typeparam>
/// <typeparam name="TThen">The unary function applied to its result.</typeparam>
/// <param name="op">The binary function, with its parameters.</param>
/// <param name="then">The unary function, with its parameters.</param>
internal struct Then<TOp, TThen>(TOp op, TThen then) : IBinaryOperator
    where TOp : struct, IBinaryOperator
    where TThen : struct, IUnaryOperator
{
    private TOp op = op;
    private TThen then = then;

    /// <inheritdoc/>
    public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => then.Apply(op.Apply(a, b));

    /// <inheritdoc/>
    public static bool Vectorized => TOp.Vectorized && TThen.Vectorized;

    /// <inheritdoc/>
    public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => then.ApplyVector(op.ApplyVector(a, b));
}

/// <summary>op(b, a)</summary>
/// <typeparam name="TOp">The binary function whose operands are swapped.</typeparam>
/// <param name="op">The binary function, with its parameters.</param>
internal struct Flip<TOp>(TOp op) : IBinaryOperator
    where TOp : struct, IBinaryOperator
{
    private TOp op = op;

    /// <inheritdoc/>
    public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => op.Apply(b, a);

    /// <inheritdoc/>
    public static bool Vectorized => TOp.Vectorized;

    /// <inheritdoc/>
    public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => op.ApplyVector(b, a);
}

/// <summary>op(a) (b is ignored): a unary operator where a binary one is expected, as kernels that serve maps and zips take.</summary>
/// <typeparam name="TOp">The unary function.</typeparam>
/// <param name="op">The unary function, with its parameters.</param>
internal struct UnaryAsBinary<TOp>(TOp op) : IBinaryOperator
    where TOp : struct, IUnaryOperator
{
    private TOp op = op;

    /// <inheritdoc/>
    public T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => op.Apply(a);

    /// <inheritdoc/>
    public static bool Vectorized => TOp.Vectorized;

    /// <inheritdoc/>
    public Vector<T> ApplyVector<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => op.ApplyVector(a);
}

/// <summary>Σ x (identity 0)</summary>
internal readonly struct SumReduction : IReduction
{
    /// <inheritdoc/>
    public static T Identity<T>() where T : unmanaged, IFloatingPointIeee754<T> => T.Zero;

    /// <inheritdoc/>
    public static T Combine<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;

    /// <inheritdoc/>
    public static Vector<T> Combine<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;

    /// <inheritdoc/>
    public static Vector512<T> Combine<T>(Vector512<T> a, Vector512<T> b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
}

/// <summary>max x (identity −∞; IEEE 754 maximum: NaN propagates, +0 above −0)</summary>
public readonly struct MaxReduction : IReduction
{
    /// <inheritdoc/>
    public static T Identity<T>() where T : unmanaged, IFloatingPointIeee754<T> => T.NegativeInfinity;

    // Written out rather than T.Max: PTX's max.f32 returns the other operand when one is NaN. Equal zeros add, as
    // −0 + −0 is −0 and any other pair +0: the result is Vector.Max's, whatever the order of a reduction's tree.

    /// <inheritdoc/>
    public static T Combine<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> =>
        a > b || T.IsNaN(a) ? a : a == b && a == T.Zero ? a + b : b;

    /// <inheritdoc/>
    public static Vector<T> Combine<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => Vector.Max(a, b);

    /// <inheritdoc/>
    public static Vector512<T> Combine<T>(Vector512<T> a, Vector512<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector512.Max(a, b);
}

/// <summary>min x (identity +∞; IEEE 754 minimum: NaN propagates, −0 below +0)</summary>
public readonly struct MinReduction : IReduction
{
    /// <inheritdoc/>
    public static T Identity<T>() where T : unmanaged, IFloatingPointIeee754<T> => T.PositiveInfinity;

    // As MaxReduction's, mirrored: equal zeros give −(−a − b), which is +0 only when both are +0.

    /// <inheritdoc/>
    public static T Combine<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> =>
        a < b || T.IsNaN(a) ? a : a == b && a == T.Zero ? -(-a - b) : b;

    /// <inheritdoc/>
    public static Vector<T> Combine<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T> => Vector.Min(a, b);

    /// <inheritdoc/>
    public static Vector512<T> Combine<T>(Vector512<T> a, Vector512<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector512.Min(a, b);
}
