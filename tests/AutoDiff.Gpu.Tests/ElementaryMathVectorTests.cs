using System.Numerics;
using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The SIMD forms that the CPU accelerator's contiguous loops run (<see cref="IUnaryOperator.ApplyVector{T}(Vector{T})"/>)
/// give, lane for lane, the bits of the scalar form: on vectors whose every lane takes the common path, and on vectors
/// with a special value (0, −0, a subnormal, ±∞, NaN, a result past overflow or underflow) at each lane in turn.
/// </summary>
public sealed class ElementaryMathVectorTests
{
    private const int Count = 200_000;

    public static TheoryData<string> Functions() => ["exp", "log", "tanh", "sigmoid", "exp-of-difference", "scale-then-exp", "sin", "cos"];

    [Theory]
    [MemberData(nameof(Functions))]
    public void Float32_vectors_equal_the_scalar_form(string name)
    {
        var (low, high) = Trigonometric(name) ? (-1e5f, 1e5f) : Bounds(ElementaryMathExpLogTests.Single(Domain(name)));
        // The odd samples are uniform over the domain's values: nearly all on the common path.
        var common = ElementaryMathSamples.Singles(low, high, Count, 11).Where((_, i) => i % 2 == 1).ToArray();
        // Half uniform over bit patterns, past the common path's bounds (sin and cos: to 1e7, beyond Cody–Waite's 105615).
        var mixed = ElementaryMathSamples.Singles(Trigonometric(name) ? -1e7f : low * 2, Trigonometric(name) ? 1e7f : high, Count, 12);
        Check(name, common);
        Check(name, mixed);
        Check(name, WithSpecials(common, ElementaryMathSamples.SingleSpecials));
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Float64_vectors_equal_the_scalar_form(string name)
    {
        var (low, high) = Trigonometric(name) ? (-1e9, 1e9) : Bounds(ElementaryMathExpLogTests.Double(Domain(name)));
        var common = ElementaryMathSamples.Doubles(low, high, Count, 11).Where((_, i) => i % 2 == 1).ToArray();
        // sin and cos: to 1e13, beyond Cody–Waite's 2^40.
        var mixed = ElementaryMathSamples.Doubles(Trigonometric(name) ? -1e13 : low * 2, Trigonometric(name) ? 1e13 : high, Count, 12);
        Check(name, common);
        Check(name, mixed);
        Check(name, WithSpecials(common, ElementaryMathSamples.DoubleSpecials));
    }

    /// <summary>The arithmetic operators and gradient steps, on pairs of common and special values in both types.</summary>
    [Fact]
    public void Arithmetic_vectors_equal_the_scalar_form()
    {
        CheckArithmetic(ElementaryMathSamples.Singles(-1e3f, 1e3f, 4096, 21), ElementaryMathSamples.SingleSpecials);
        CheckArithmetic(ElementaryMathSamples.Doubles(-1e3, 1e3, 4096, 21), ElementaryMathSamples.DoubleSpecials);
    }

    private static void CheckArithmetic<T>(T[] common, T[] specials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = WithSpecials(common, specials);
        var b = a.Reverse().ToArray();
        CheckBinary("a + b", a, b, default(PlusOperator));
        CheckBinary("a - b", a, b, default(SubOperator));
        CheckBinary("a * b", a, b, default(MulOperator));
        CheckBinary("a / b", a, b, default(DivOperator));
        CheckBinary("2ab", a, b, default(SquareBackwardOperator));
        CheckBinary("step", a, b, default(StepGradient));
        CheckBinary("polynomial", a, b, new PolynomialGradient(-1.5, 0.25, -1));
        CheckBinary("linear", a, b, new PolynomialGradient(3, 0.5));
        CheckBinary("relu", a, b, new UnaryAsBinary<ReLUOperator>(default));
        CheckBinary("x / c", a, b, new UnaryAsBinary<DivideByOperator>(new DivideByOperator(3)));
        CheckBinary("c / x", a, b, new UnaryAsBinary<DivideIntoOperator>(new DivideIntoOperator(-3)));
        CheckBinary("x·a + b", a, b, new UnaryAsBinary<AffineOperator>(new AffineOperator(0.1, -2)));
        CheckBinary("x²", a, b, new UnaryAsBinary<SquareOperator>(default));
        CheckBinary("leaky relu", a, b, new UnaryAsBinary<LeakyReLUOperator>(new LeakyReLUOperator(0.2)));
        CheckBinary("leaky step", a, b, new LeakyStepGradient(0.1));
        CheckBinary("clip", a, b, new UnaryAsBinary<ClipOperator>(new ClipOperator(-0.5, 0.25)));
        CheckBinary("inside", a, b, new InsideGradient(-0.5, 0.25));
        CheckBinary("(a − b)²", a, b, default(SquaredDifferenceOperator));
        CheckBinary("c·a·b", a, b, new ScaledProductOperator(-0.75));
        CheckBinary("a == b", a, a.Select((v, i) => i % 3 == 0 ? v : b[i]).ToArray(), default(EqualMaskOperator));
        foreach (double c in new[] { 2, 3, -2, 7, 0.5, -0.5, 1.5, 2.5, -1.5 })
        {
            CheckBinary($"x^{c}", a, b, new UnaryAsBinary<PowOperator>(new PowOperator(c)));
            CheckBinary($"g·{c}·x^{c - 1}", a, b, new PowerGradient(c, c - 1));
        }
        CheckBinary("-exp(b - a)", a, b, new Then<Flip<ExpOfDifferenceOperator>, ScaleOperator>(default, new ScaleOperator(-1)));
    }

    private static void CheckBinary<T, TOp>(string name, T[] a, T[] b, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        Assert.True(VectorizedBinary<TOp>(), name);
        int lanes = Vector<T>.Count;
        for (int start = 0; start + lanes <= a.Length; start += lanes)
        {
            var y = op.ApplyVector(new Vector<T>(a, start), new Vector<T>(b, start));
            for (int lane = 0; lane < lanes; lane++)
            {
                T expected = op.Apply(a[start + lane], b[start + lane]);
                if (!SameBits(y[lane], expected))
                    Assert.Fail($"{name} of ({a[start + lane]}, {b[start + lane]}) in {typeof(T).Name}, lane {lane}: vector {y[lane]}, scalar {expected}");
            }
        }
    }

    /// <summary>
    /// Every operator type of the engine and the kernels that says it has a vector form, in its default state (parameters
    /// 0), on common and special values: a vector form added later is checked without a new row here.
    /// </summary>
    [Fact]
    public void Every_vectorized_operator_equals_its_scalar_form()
    {
        var types = new[] { typeof(ExpOperator).Assembly, typeof(IUnaryOperator).Assembly }
            .SelectMany(assembly => assembly.GetTypes())
            .Where(type => type.IsValueType && !type.IsGenericTypeDefinition)
            .ToList();
        var checkUnary = typeof(ElementaryMathVectorTests).GetMethod(nameof(CheckDefaultUnary), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        var checkBinary = typeof(ElementaryMathVectorTests).GetMethod(nameof(CheckDefaultBinary), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        var checkedNames = new List<string>();
        foreach (var type in types)
        {
            if (type.IsAssignableTo(typeof(IUnaryOperator)) && (bool)checkUnary.MakeGenericMethod(type).Invoke(null, null)!)
                checkedNames.Add(type.Name);
            if (type.IsAssignableTo(typeof(IBinaryOperator)) && (bool)checkBinary.MakeGenericMethod(type).Invoke(null, null)!)
                checkedNames.Add(type.Name);
        }
        // The ones this test is known to find (the list grows as operators gain vector forms).
        Assert.Superset(new HashSet<string> { "ExpOperator", "SinOperator", "MulOperator", "PolynomialGradient", "StepGradient", "ScaleOperator" }, new HashSet<string>(checkedNames));
    }

    private static bool CheckDefaultUnary<TOp>()
        where TOp : struct, IUnaryOperator
    {
        if (!TOp.Vectorized)
            return false;
        Check(typeof(TOp).Name, WithSpecials(ElementaryMathSamples.Singles(-1e3f, 1e3f, 4096, 31), ElementaryMathSamples.SingleSpecials), default(TOp));
        Check(typeof(TOp).Name, WithSpecials(ElementaryMathSamples.Doubles(-1e3, 1e3, 4096, 31), ElementaryMathSamples.DoubleSpecials), default(TOp));
        return true;
    }

    private static bool CheckDefaultBinary<TOp>()
        where TOp : struct, IBinaryOperator
    {
        if (!TOp.Vectorized)
            return false;
        var singles = WithSpecials(ElementaryMathSamples.Singles(-1e3f, 1e3f, 4096, 32), ElementaryMathSamples.SingleSpecials);
        CheckBinary(typeof(TOp).Name, singles, singles.Reverse().ToArray(), default(TOp));
        var doubles = WithSpecials(ElementaryMathSamples.Doubles(-1e3, 1e3, 4096, 32), ElementaryMathSamples.DoubleSpecials);
        CheckBinary(typeof(TOp).Name, doubles, doubles.Reverse().ToArray(), default(TOp));
        return true;
    }

    [Fact]
    public void Operators_without_a_vector_form_say_so()
    {
        Assert.True(Vectorized<ExpOperator>());
        Assert.True(Vectorized<Compose<ScaleOperator, TanhOperator>>());
        Assert.True(VectorizedBinary<UnaryAsBinary<SigmoidOperator>>());
        Assert.False(Vectorized<ScalarOnly>());
        // A composition is vectorized only where both parts are.
        Assert.False(Vectorized<Compose<ExpOperator, ScalarOnly>>());
        Assert.False(VectorizedBinary<UnaryAsBinary<ScalarOnly>>());
        var error = Assert.Throws<NotSupportedException>(() => ApplyVector(default(ScalarOnly), Vector<float>.One));
        Assert.Contains(nameof(ScalarOnly), error.Message, StringComparison.Ordinal);
    }

    private static bool Trigonometric(string name) => name is "sin" or "cos";

    private static (T Low, T High) Bounds<T>((Func<T, T>, Func<T, T>, T Low, T High) domain) => (domain.Low, domain.High);

    private static string Domain(string name) => name switch
    {
        "sigmoid" => "tanh",
        "exp-of-difference" or "scale-then-exp" => "exp",
        _ => name,
    };

    /// <summary>Every special value at every lane of a vector of common values.</summary>
    private static T[] WithSpecials<T>(T[] common, T[] specials)
        where T : unmanaged
    {
        int lanes = Vector<T>.Count;
        var values = new List<T>();
        int next = 0;
        foreach (T special in specials)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                for (int i = 0; i < lanes; i++)
                    values.Add(i == lane ? special : common[next++ % common.Length]);
            }
        }
        return [.. values];
    }

    private static void Check<T>(string name, T[] xs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (name)
        {
            case "exp": Check(name, xs, default(ExpOperator)); break;
            case "log": Check(name, xs, default(LogOperator)); break;
            case "tanh": Check(name, xs, default(TanhOperator)); break;
            case "sigmoid": Check(name, xs, default(SigmoidOperator)); break;
            case "sin": Check(name, xs, default(SinOperator)); break;
            case "cos": Check(name, xs, default(CosOperator)); break;
            case "exp-of-difference": Check(name, xs, new UnaryAsBinaryFirst<ExpOfDifferenceOperator>()); break;
            default: Check(name, xs, new Compose<ExpOperator, ScaleOperator>(default, new ScaleOperator(-0.5))); break;
        }
    }

    private static void Check<T, TOp>(string name, T[] xs, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator
    {
        int lanes = Vector<T>.Count;
        for (int start = 0; start + lanes <= xs.Length; start += lanes)
        {
            var y = ApplyVector(op, new Vector<T>(xs, start));
            for (int lane = 0; lane < lanes; lane++)
            {
                T x = xs[start + lane];
                T expected = op.Apply(x);
                if (!SameBits(y[lane], expected))
                    Assert.Fail($"{name}({x}) in {typeof(T).Name}, lane {lane}: vector {y[lane]}, scalar {expected}");
            }
        }
    }

    private static bool SameBits<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        (T.IsNaN(a) && T.IsNaN(b)) || (typeof(T) == typeof(float)
            ? BitConverter.SingleToInt32Bits(float.CreateTruncating(a)) == BitConverter.SingleToInt32Bits(float.CreateTruncating(b))
            : BitConverter.DoubleToInt64Bits(double.CreateTruncating(a)) == BitConverter.DoubleToInt64Bits(double.CreateTruncating(b)));

    private static bool Vectorized<TOp>()
        where TOp : IUnaryOperator => TOp.Vectorized;

    private static bool VectorizedBinary<TOp>()
        where TOp : IBinaryOperator => TOp.Vectorized;

    private static Vector<T> ApplyVector<T, TOp>(TOp op, Vector<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator => op.ApplyVector(x);

    /// <summary>x + 1, with no vector form.</summary>
    private readonly struct ScalarOnly : IUnaryOperator
    {
        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x + T.One;
    }

    /// <summary>A binary operator with a fixed second operand (0.25) as a unary one.</summary>
    private struct UnaryAsBinaryFirst<TOp>() : IUnaryOperator
        where TOp : struct, IBinaryOperator
    {
        private TOp op = default;

        public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => op.Apply(x, T.CreateTruncating(0.25));

        public static bool Vectorized => TOp.Vectorized;

        public Vector<T> ApplyVector<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> => op.ApplyVector(x, new Vector<T>(T.CreateTruncating(0.25)));
    }
}
