using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Gradients as variables: backward passes recorded with createGraph and differentiated again; the gradient checker.</summary>
public abstract class HigherOrderTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void Second_and_third_derivatives_of_x_to_the_fourth()
    {
        // y = x⁴ = Square(Square(x)); y' = 4x³, y'' = 12x², y''' = 24x; at x = 2: 32, 48, 48.
        var x = new Variable(Device.Scalar(2.0), "x");
        var y = Square(Square(x));
        y.Backward(createGraph: true);
        var g1 = x.Grad!;
        Assert.Equal(32.0, g1.Item());
        Assert.NotNull(g1.Creator);

        x.ClearGrad();
        g1.Backward(createGraph: true);
        var g2 = x.Grad!;
        Assert.Equal(48.0, g2.Item());

        x.ClearGrad();
        g2.Backward();
        Assert.Equal(48.0, x.Grad!.Item());
    }

    [Fact]
    public void Newtons_method_with_the_second_derivative_follows_the_book_step_33()
    {
        // f(x) = x⁴ − 2x², x ← x − f′(x)/f″(x) from x = 2; the book prints these ten values.
        double[] book = [2.0, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978, 1.0009084519430513, 1.0000012353089454, 1.000000000002289, 1.0, 1.0, 1.0];
        var x = new Variable(Device.Scalar(2.0), "x");
        for (int i = 0; i < book.Length; i++)
        {
            Assert.Equal(book[i], x.Item(), 1e-14);
            var (gx, gx2) = FirstAndSecondDerivative(x, v => v.Pow(4) - (2 * v.Pow(2)));
            if (i == 0)
            {
                Assert.Equal(24.0, gx.Item());   // 4·2³ − 4·2
                Assert.Equal(44.0, gx2.Item());  // 12·2² − 4
            }
            using (Config.NoGrad())
                x.Data = (x - (gx / gx2)).Data;
        }
    }

    [Fact]
    public void Newtons_method_converges_in_float32()
    {
        var x = new Variable(Device.Scalar(2f), "x");
        for (int i = 0; i < 10; i++)
        {
            var (gx, gx2) = FirstAndSecondDerivative(x, v => v.Pow(4) - (2 * v.Pow(2)));
            Assert.Equal(DType.Float32, gx2.DType);
            using (Config.NoGrad())
                x.Data = (x - (gx / gx2)).Data;
        }
        Assert.Equal(1.0, x.Item(), 1e-6);
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 1e-5)]
    public void Nth_derivatives_of_sin_are_shifted_sines_step_34(DType dtype, double tolerance)
    {
        // sin⁽ⁿ⁾(x) = sin(x + n·π/2) on the book's linspace(−7, 7, 200).
        var points = Enumerable.Range(0, 200).Select(i => -7 + (14.0 * i / 199)).ToArray();
        var x = new Variable(Device.FromArray(points, new Shape(200)).To(dtype));
        var at = x.ToDoubleArray();
        var y = Sin(x);
        y.Backward(createGraph: true);
        for (int n = 1; n <= 5; n++)
        {
            var gx = x.Grad!;
            var values = gx.ToDoubleArray();
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - Math.Sin(at[i] + (n * Math.PI / 2))) <= tolerance, $"order {n} at x = {at[i]}: {values[i]}");
            x.ClearGrad();
            gx.Backward(createGraph: true);
        }
    }

    [Theory]
    [InlineData(DType.Float64, 6, 1e-12)]
    [InlineData(DType.Float32, 3, 2e-5)]
    public void Nth_derivatives_of_tanh_are_polynomials_in_y_step_35(DType dtype, int orders, double tolerance)
    {
        // With y = tanh x, each derivative is a polynomial p(y) and the next is p′(y)·(1 − y²):
        // 1 − y², −2y(1 − y²), (6y² − 2)(1 − y²), …
        double[] points = [-2, -0.7, -0.1, 0, 0.3, 1, 1.5];
        var x = new Variable(Device.FromArray(points, new Shape(points.Length)).To(dtype));
        var at = x.ToDoubleArray();
        var y = Tanh(x);
        y.Backward(createGraph: true);
        double[] p = [0, 1]; // y itself, lowest coefficient first
        for (int n = 1; n <= orders; n++)
        {
            p = NextTanhDerivative(p);
            var gx = x.Grad!;
            var values = gx.ToDoubleArray();
            for (int i = 0; i < values.Length; i++)
            {
                double t = Math.Tanh(at[i]), expected = 0;
                for (int k = p.Length - 1; k >= 0; k--)
                    expected = (expected * t) + p[k];
                Assert.True(Math.Abs(values[i] - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"order {n} at x = {at[i]}: {values[i]}, expected {expected}");
            }
            x.ClearGrad();
            gx.Backward(createGraph: true);
        }
        Assert.Equal([1, 0, -1], NextTanhDerivative([0, 1]));           // 1 − y²
        Assert.Equal([0, -2, 0, 2], NextTanhDerivative([1, 0, -1]));    // −2y(1 − y²)
    }

    [Fact]
    public void Without_createGraph_the_backward_pass_records_nothing()
    {
        var x = new Variable(Device.Scalar(3.0));
        Square(x).Backward();
        Assert.Null(x.Grad!.Creator);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void The_gradient_checker_accepts_correct_gradients_and_reports_wrong_ones(DType dtype)
    {
        var options = dtype == DType.Float32 ? GradientCheckOptions.Float32 : new GradientCheckOptions();
        foreach (int n in new[] { 1, 7, 1000 })
        {
            var a = new Variable(Device.FromArray(Enumerable.Range(0, n).Select(i => (Math.Sin(i) * 2) + 0.5).ToArray(), new Shape(n)).To(dtype));
            var b = new Variable(Device.FromArray(Enumerable.Range(0, n).Select(i => Math.Cos(i)).ToArray(), new Shape(n)).To(dtype));
            var good = GradientCheck.Run(v => Add(Square(v[0]), Square(Square(v[1]))), [a, b], options);
            Assert.True(good.Passed, good.Detail);
            var bad = GradientCheck.Run(v => new WrongSquare().Call(v[0])[0], [a], options);
            Assert.False(bad.Passed);
            Assert.Contains("backward gave", bad.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Scalars_and_multidimensional_host_arrays_make_tensors()
    {
        var m = Device.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new Shape(2, 3), m.Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], m.ToArray<float>());
        var c = Device.FromArray(new double[,,] { { { 1 }, { 2 } } });
        Assert.Equal(new Shape(1, 2, 1), c.Shape);
        Assert.Equal(DType.Float64, c.DType);
        var s = Device.FromArray([5.0], Shape.Scalar);
        Assert.Equal(0, s.Rank);
        Assert.Equal("variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])", new Variable(m).ToString());
        Assert.Throws<ArgumentException>(() => Device.FromArray(new int[,] { { 1 } }));
        Assert.Equal(new Shape(0, 3), Device.FromArray(new float[0, 3]).Shape); // empty, as NumPy's
    }

    /// <summary>f′(x) and f″(x) as the book's step 33 computes them: a backward pass recorded, then differentiated.</summary>
    private static (Variable First, Variable Second) FirstAndSecondDerivative(Variable x, Func<Variable, Variable> f)
    {
        var y = f(x);
        x.ClearGrad();
        y.Backward(createGraph: true);
        var gx = x.Grad!;
        x.ClearGrad();
        gx.Backward();
        return (gx, x.Grad!);
    }

    /// <summary>The coefficients of p′(y)·(1 − y²) for p's (lowest first): the next derivative of tanh written in y.</summary>
    private static double[] NextTanhDerivative(double[] p)
    {
        var next = new double[p.Length + 1];
        for (int k = 1; k < p.Length; k++)
        {
            next[k - 1] += k * p[k];
            next[k + 1] -= k * p[k];
        }
        return next;
    }

    /// <summary>y = x² with a wrong backward: gx = x² instead of 2·x·gy.</summary>
    private sealed class WrongSquare : Function
    {
        protected override int Arity => 1;

        protected override Tensor[] Forward(Tensor[] xs) => [Square(new Variable(xs[0])).Data];

        protected override Variable?[] Backward(Variable[] gys) => [Square(Input(0))];
    }
}

public sealed class CpuHigherOrderTests(CpuFixture fixture) : HigherOrderTests<CpuFixture>(fixture);

public sealed class CudaHigherOrderTests(CudaFixture fixture) : HigherOrderTests<CudaFixture>(fixture);

public sealed class OpenCLHigherOrderTests(OpenCLFixture fixture) : HigherOrderTests<OpenCLFixture>(fixture);
