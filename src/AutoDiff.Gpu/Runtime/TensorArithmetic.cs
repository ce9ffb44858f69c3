namespace AutoDiff.Gpu;

// Arithmetic on tensors, for code that works on data outside the graph: DeZero's manual update
// x.data -= lr * x.grad.data is p.Data -= lr * p.Grad.Data. Each operator is the function of the same name,
// run without recording (same kernels, broadcasting, fusion and errors), and returns a new tensor.
public sealed partial class Tensor
{
    /// <summary>a + b, broadcast as in NumPy; nothing is recorded.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Apply(F.Add, a, b);

    /// <summary>a − b, broadcast as in NumPy; nothing is recorded.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Apply(F.Sub, a, b);

    /// <summary>a · b elementwise, broadcast as in NumPy; nothing is recorded.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Apply(F.Mul, a, b);

    /// <summary>a / b elementwise, broadcast as in NumPy; nothing is recorded.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Apply(F.Div, a, b);

    /// <summary>a + c.</summary>
    public static Tensor operator +(Tensor a, double c) => Apply(x => F.Add(x, c), a);

    /// <summary>c + a.</summary>
    public static Tensor operator +(double c, Tensor a) => Apply(x => F.Add(c, x), a);

    /// <summary>a − c.</summary>
    public static Tensor operator -(Tensor a, double c) => Apply(x => F.Sub(x, c), a);

    /// <summary>c − a.</summary>
    public static Tensor operator -(double c, Tensor a) => Apply(x => F.Sub(c, x), a);

    /// <summary>a · c.</summary>
    public static Tensor operator *(Tensor a, double c) => Apply(x => F.Mul(x, c), a);

    /// <summary>c · a.</summary>
    public static Tensor operator *(double c, Tensor a) => Apply(x => F.Mul(c, x), a);

    /// <summary>a / c.</summary>
    public static Tensor operator /(Tensor a, double c) => Apply(x => F.Div(x, c), a);

    /// <summary>c / a.</summary>
    public static Tensor operator /(double c, Tensor a) => Apply(x => F.Div(c, x), a);

    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => Apply(F.Neg, a);

    private static Tensor Apply(Func<Variable, Variable> f, Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        using (Config.NoGrad())
            return f(new Variable(a)).Data;
    }

    private static Tensor Apply(Func<Variable, Variable, Variable> f, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        using (Config.NoGrad())
            return f(new Variable(a), new Variable(b)).Data;
    }
}
