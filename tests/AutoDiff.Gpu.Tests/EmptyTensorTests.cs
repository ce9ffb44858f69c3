using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Tensors with a dimension of 0, as NumPy has them (an empty slice, an empty batch): every function takes them,
/// forward and backward, with NumPy's values where the result is not empty (a sum of nothing is 0, a mean NaN, a
/// product over an inner dimension of 0 is zeros) and a clear error where NumPy has none (the maximum of nothing).
/// No kernel runs over nothing, and no offset of an empty slice is read. Bound to each accelerator kind below.
/// </summary>
public abstract class EmptyTensorTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [MemberData(nameof(EmptyCases.Names), MemberType = typeof(EmptyCases))]
    public void Functions_take_empty_tensors_forward_and_backward(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (inputs, f, shape, values) = EmptyCases.All[name];
            var xs = inputs.Select(s => new Variable(Device.Full(s, 0.5, dtype))).ToArray();
            var y = f(xs);
            Assert.Equal(shape, y.Shape);
            Assert.Equal(values, y.Data.ToDoubleArray());
            Sum(y).Backward();
            for (int i = 0; i < xs.Length; i++)
            {
                var g = xs[i].Grad;
                Assert.NotNull(g);
                Assert.Equal(inputs[i], g.Shape);
                // Gradients through an empty result are zeros (and there are none where the input is empty).
                Assert.All(g.Data.ToDoubleArray(), v => Assert.Equal(0.0, v));
            }
        }
    }

    [Fact]
    public void Empty_tensors_come_from_host_arrays_and_slices_and_read_back_empty()
    {
        Assert.Equal(new Shape(0), Device.FromArray(Array.Empty<float>()).Shape);
        Assert.Equal(new Shape(0, 3), Device.FromArray(new double[0, 3]).Shape);
        Assert.Equal(new Shape(2, 0), Device.FromArray(Array.Empty<float>(), 2, 0).Shape);
        var x = new Variable(Device.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2));
        Assert.Equal(new Shape(0, 2), x[3..3].Shape);
        Assert.Equal(new Shape(0, 2), x[TensorIndex.Slice(0, 2, -1)].Shape);
        Assert.Equal(new Shape(0, 2), x[Array.Empty<int>()].Shape);
        Assert.Equal(new Shape(3, 0), Take(x, Array.Empty<int>(), axis: 1).Shape);
        Assert.Empty(x[1..1].Data.ToArray<float>());
        var empty = Device.Ones(0, 3);
        Assert.Equal((new Shape(0, 3), DType.Float64), (empty.To(DType.Float64).Shape, empty.To(DType.Float64).DType));
        Assert.Equal(new Shape(0, 3), empty.To(Device).Shape);
        Assert.Empty(empty.ToDoubleArray());
        Assert.Equal("variable([])", x[1..1].ToString());
        // The source is untouched, and its gradient through an empty slice is zeros of its shape.
        Sum(x[2..2]).Backward();
        Assert.Equal(new double[6], x.Grad!.Data.ToDoubleArray());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], x.Data.ToArray<float>());
    }

    [Fact]
    public void What_nothing_cannot_give_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => Max(new Variable(Device.Ones(0, 3)), 0));
        Assert.Contains("shape (0, 3) over axes (0) reduces an axis of size 0", e.Message, StringComparison.Ordinal);
        Assert.Contains("undefined", Assert.Throws<ArgumentException>(() => Min(new Variable(Device.Ones(0)))).Message, StringComparison.Ordinal);
        var r = Assert.Throws<ArgumentException>(() => Reshape(new Variable(Device.Ones(0, 3)), -1, 0));
        Assert.Contains("-1 could be any size", r.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Device.Ones(0).Item());
        Assert.Throws<ArgumentException>(() => Device.Ones(3, -1));
    }
}

/// <summary>The functions on empty inputs: inputs' shapes, the function, the result's shape and values (row-major).</summary>
public static class EmptyCases
{
    public static TheoryData<string> Names() => [.. All.Keys];

    internal static readonly Dictionary<string, (Shape[] Inputs, Func<Variable[], Variable> F, Shape Shape, double[] Values)> All = new()
    {
        ["Exp"] = ([new(0, 3)], v => Exp(v[0]), new(0, 3), []),
        ["Tanh"] = ([new(0)], v => Tanh(v[0]), new(0), []),
        ["Pow(x, 0.5)"] = ([new(2, 0)], v => Pow(v[0], 0.5), new(2, 0), []),
        ["(0, 3) · (3,)"] = ([new(0, 3), new(3)], v => v[0] * v[1], new(0, 3), []),
        ["(1, 3) + (0, 3)"] = ([new(1, 3), new(0, 3)], v => v[0] + v[1], new(0, 3), []),
        ["2 − x"] = ([new(0, 3)], v => 2.0 - v[0], new(0, 3), []),
        ["Transpose"] = ([new(0, 3)], v => Transpose(v[0]), new(3, 0), []),
        ["Reshape(3, -1)"] = ([new(0, 3)], v => Reshape(v[0], 3, -1), new(3, 0), []),
        ["BroadcastTo (0, 3)"] = ([new(1, 3)], v => BroadcastTo(v[0], new Shape(0, 3)), new(0, 3), []),
        ["SumTo (1, 3)"] = ([new(0, 3)], v => SumTo(v[0], new Shape(1, 3)), new(1, 3), [0, 0, 0]),
        ["Sum"] = ([new(0, 3)], v => Sum(v[0]), Shape.Scalar, [0]),
        ["Sum axis 0"] = ([new(0, 3)], v => Sum(v[0], 0), new(3), [0, 0, 0]),
        ["Sum axis 1, keepDims"] = ([new(0, 3)], v => Sum(v[0], [1], true), new(0, 1), []),
        ["Mean axis 0"] = ([new(0, 2)], v => Mean(v[0], 0), new(2), [double.NaN, double.NaN]),
        ["Max axis 1"] = ([new(0, 3)], v => Max(v[0], 1), new(0), []),
        ["MatMul k = 0"] = ([new(2, 0), new(0, 3)], v => MatMul(v[0], v[1]), new(2, 3), new double[6]),
        ["MatMul m = 0"] = ([new(0, 2), new(2, 3)], v => MatMul(v[0], v[1]), new(0, 3), []),
        ["Linear of no rows"] = ([new(0, 3), new(3, 4), new(4)], v => Linear(v[0], v[1], v[2]), new(0, 4), []),
        ["Softmax"] = ([new(0, 3)], v => Softmax(v[0], 1), new(0, 3), []),
        ["Softmax over an empty axis"] = ([new(3, 0)], v => Softmax(v[0], 1), new(3, 0), []),
        ["GetItem x[:, 1]"] = ([new(0, 3)], v => v[0][.., 1], new(0), []),
        ["GetItem x[1:1]"] = ([new(3, 2)], v => v[0][1..1], new(0, 2), []),
        ["GetItem x[[]]"] = ([new(3, 2)], v => v[0][Array.Empty<int>()], new(0, 2), []),
    };
}

public sealed class CpuEmptyTensorTests(CpuFixture fixture) : EmptyTensorTests<CpuFixture>(fixture);

public sealed class CudaEmptyTensorTests(CudaFixture fixture) : EmptyTensorTests<CudaFixture>(fixture);

public sealed class OpenCLEmptyTensorTests(OpenCLFixture fixture) : EmptyTensorTests<OpenCLFixture>(fixture);
