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
        Assert.Throws<ArgumentException>(() => Device.FromArray(new float[0, 3]));
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
