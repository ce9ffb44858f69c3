using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// What code ported from PyTorch or DeZero reaches for: constants shaped like a variable, a backward pass from a
/// given output gradient, leaves that take no gradient, and the graph behind a variable as Graphviz DOT. Bound to
/// each accelerator kind below.
/// </summary>
public abstract class PortingTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Ones_and_zeros_like_take_the_shape_type_and_device(DType dtype)
    {
        var x = new Variable(Device.Full(new Shape(2, 3), 7, dtype)) * 2.0;
        foreach (var (made, value) in new[] { (OnesLike(x), 1.0), (ZerosLike(x), 0.0), (FullLike(x, -2.5), -2.5) })
        {
            Assert.Equal((x.Shape, dtype, Device), (made.Shape, made.DType, made.Device));
            Assert.Null(made.Creator);
            Assert.All(made.ToDoubleArray(), v => Assert.Equal(value, v));
        }
        var ones = OnesLike(x.Data);
        Assert.Equal((x.Shape, dtype), (ones.Shape, ones.DType));
        Assert.All(ZerosLike(ones).ToDoubleArray(), v => Assert.Equal(0.0, v));

        var gone = new Variable(Device.Ones(2));
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => OnesLike(gone));
        Assert.Throws<ObjectDisposedException>(() => ZerosLike(gone.Data));
    }

    [Fact]
    public void Backward_from_a_given_output_gradient_scales_every_gradient_by_it()
    {
        var x = new Variable(Device.FromArray([1.0, 2.0, 3.0]), "x");
        var gy = new Variable(Device.FromArray([1.0, 10.0, 100.0]));
        var y = Square(x);
        y.Backward(gy);
        Assert.Equal([2.0, 40.0, 600.0], x.Grad!.ToDoubleArray());
        // The given gradient stays the caller's: usable after the pass.
        Assert.False(gy.IsDisposed);
        Assert.Equal([1.0, 10.0, 100.0], gy.ToDoubleArray());

        // As DeZero writes it: y.grad = gy, then y.backward().
        var x2 = new Variable(Device.FromArray([1.0, 2.0, 3.0]));
        var y2 = Square(x2);
        y2.Grad = gy;
        y2.Backward();
        Assert.Equal(x.Grad.ToDoubleArray(), x2.Grad!.ToDoubleArray());

        // On a leaf the given gradient becomes its gradient.
        var leaf = new Variable(Device.FromArray([5.0, 6.0, 7.0]));
        leaf.Backward(gy);
        Assert.Same(gy, leaf.Grad);
    }

    [Fact]
    public void Backward_refuses_an_output_gradient_that_does_not_fit_and_changes_nothing()
    {
        var x = new Variable(Device.FromArray([1.0, 2.0, 3.0]));
        var y = Square(x);
        var wrongShape = new Variable(Device.FromArray([1.0, 2.0]));
        Assert.Contains("(2,)", Assert.Throws<ArgumentException>(() => y.Backward(wrongShape)).Message, StringComparison.Ordinal);
        var wrongType = new Variable(Device.Ones(3));
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => y.Backward(wrongType)).Message, StringComparison.Ordinal);
        var gone = new Variable(Device.FromArray([1.0, 2.0, 3.0]));
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => y.Backward(gone));
        Assert.Null(x.Grad);
        Assert.Null(y.Grad);
    }

    [Fact]
    public void A_leaf_that_requires_no_gradient_takes_none_across_passes()
    {
        var x = new Variable(Device.FromArray([1.0, 2.0]), "x") { RequiresGrad = false };
        var w = new Variable(Device.FromArray([3.0, 4.0]), "w");
        for (int i = 0; i < 2; i++)
            Sum(x * w).Backward();
        Assert.Null(x.Grad);
        Assert.Equal([2.0, 4.0], w.Grad!.ToDoubleArray());

        var y = x * w;
        var e = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("made by Mul; only leaves can be marked", e.Message, StringComparison.Ordinal);
        Assert.True(y.RequiresGrad);
    }

    [Fact]
    public void The_graph_behind_a_variable_is_dot_with_each_node_once()
    {
        var x0 = new Variable(Device.Ones(2, 3), "x0");
        var x1 = new Variable(Device.Ones(2, 3), "x1");
        var y = (x0 * x1) + x0;
        y.Name = "y";
        string dot = DotGraph.ToDot(y);
        var lines = dot.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("digraph g {", lines[0]);
        Assert.Equal("}", lines[^1]);
        // Four variables (x0 once although used twice), two functions, six edges (three in, three out).
        Assert.Equal(4, lines.Count(l => l.Contains("color=orange", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.Contains("label=\"x0: (2, 3) float32\"", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("label=\"Mul\"", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("label=\"Add\"", StringComparison.Ordinal));
        Assert.Equal(6, lines.Count(l => l.Contains("->", StringComparison.Ordinal)));

        string quiet = DotGraph.ToDot(y, verbose: false);
        Assert.Contains("label=\"y\"", quiet, StringComparison.Ordinal);
        Assert.DoesNotContain("float32", quiet, StringComparison.Ordinal);

        // Without a graph (no backprop), only the variable.
        using (Config.NoGrad())
            Assert.Single(DotGraph.ToDot(Square(x0)).Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("label=", StringComparison.Ordinal));
    }

    [Fact]
    public void Plot_writes_dot_and_draws_other_formats_with_graphviz()
    {
        string folder = Directory.CreateTempSubdirectory("autodiff-plot-").FullName;
        try
        {
            var x = new Variable(Device.Ones(2), "x");
            var y = Exp(x);
            string dotPath = Path.Combine(folder, "graph.dot");
            DotGraph.Plot(y, dotPath);
            Assert.Equal(DotGraph.ToDot(y), File.ReadAllText(dotPath));

            string svgPath = Path.Combine(folder, "drawn.svg");
            if (DotGraph.FindGraphviz() is null)
            {
                var e = Assert.Throws<InvalidOperationException>(() => DotGraph.Plot(y, svgPath));
                Assert.Contains("Graphviz's dot is not on PATH", e.Message, StringComparison.Ordinal);
                Assert.Contains(Path.Combine(folder, "drawn.dot"), e.Message, StringComparison.Ordinal);
            }
            else
            {
                DotGraph.Plot(y, svgPath);
                Assert.Contains("<svg", File.ReadAllText(svgPath), StringComparison.Ordinal);
            }
            Assert.True(File.Exists(Path.Combine(folder, "drawn.dot")));
            Assert.Throws<ArgumentException>(() => DotGraph.Plot(y, Path.Combine(folder, "noextension")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

public sealed class CpuPortingTests(CpuFixture fixture) : PortingTests<CpuFixture>(fixture);

public sealed class CudaPortingTests(CudaFixture fixture) : PortingTests<CudaFixture>(fixture);

public sealed class OpenCLPortingTests(OpenCLFixture fixture) : PortingTests<OpenCLFixture>(fixture);
