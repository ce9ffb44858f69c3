using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

public sealed class BadInputTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    private Device Device => fixture.Require();

    [Fact]
    public void Add_of_mismatched_shapes_names_both_shapes_and_changes_nothing()
    {
        var a = new Variable(Device.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3));
        var b = new Variable(Device.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2));
        var e = Assert.Throws<ArgumentException>(() => Add(a, b));
        Assert.Contains("(2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2)", e.Message, StringComparison.Ordinal);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], a.Data.ToArray<float>());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], b.Data.ToArray<float>());
        Assert.Null(a.Grad);
    }

    [Fact]
    public void Clip_flatten_expand_dims_and_log_softmax_name_what_is_wrong()
    {
        var x = new Variable(Device.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3));
        Assert.Contains("least value 2 must not be greater than the greatest 1", Assert.Throws<ArgumentException>(() => Clip(x, 2, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("scalar", Assert.Throws<ArgumentException>(() => Flatten(new Variable(Device.Scalar(1f)))).Message, StringComparison.Ordinal);
        Assert.Contains("axis 3 is out of range for a new axis in shape (2, 3)", Assert.Throws<ArgumentOutOfRangeException>(() => ExpandDims(x, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("axis -3 is out of range for shape (2, 3)", Assert.Throws<ArgumentOutOfRangeException>(() => LogSoftmax(x, -3)).Message, StringComparison.Ordinal);
        Assert.Equal(new Shape(1, 2, 3), ExpandDims(x, -3).Shape);
        var t = new Variable(Device.FromArray([1f, 0f, 1f], 3));
        Assert.Contains("targets of shape (3,) (3 elements) for x of shape (2, 3) (6)", Assert.Throws<ArgumentException>(() => SigmoidCrossEntropy(x, t)).Message, StringComparison.Ordinal);
        Assert.Contains("scalar", Assert.Throws<ArgumentException>(() => BinaryCrossEntropy(new Variable(Device.Scalar(0.5f)), new Variable(Device.Scalar(1f)))).Message, StringComparison.Ordinal);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], x.Data.ToArray<float>());
    }

    [Fact]
    public void Mixing_float32_and_float64_names_both()
    {
        var a = new Variable(Device.FromArray([1f]));
        var b = new Variable(Device.FromArray([1.0]));
        var e = Assert.Throws<ArgumentException>(() => Add(a, b));
        Assert.Contains("float32", e.Message, StringComparison.Ordinal);
        Assert.Contains("float64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_handles_on_one_accelerator_interoperate()
    {
        using var other = Device.Cpu();
        Assert.NotSame(Device, other);
        var a = new Variable(Device.FromArray([1f, 2f]));
        var b = new Variable(other.FromArray([10f, 20f]));
        var y = Add(a, b);
        Assert.Equal([11f, 22f], y.ToArray<float>());
        Assert.Same(Device, y.Device);            // the result lives on the first operand's device
        y.Backward();
        Assert.Equal([1f, 1f], b.Grad!.ToArray<float>());
    }

    [Fact]
    public void Mixing_accelerators_names_both_devices()
    {
        var kinds = Device.List().Select(d => d.Kind).Distinct().ToArray();
        if (kinds.Length < 2)
            Assert.Skip($"needs two kinds of accelerator; present: {string.Join(", ", kinds)}");
        using var gpu = Device.Open(kinds[0], 0);
        var a = new Variable(Device.FromArray([1f]));
        var b = new Variable(gpu.FromArray([1f]));
        var e = Assert.Throws<ArgumentException>(() => Add(a, b));
        Assert.Contains("different devices", e.Message, StringComparison.Ordinal);
        Assert.Contains(gpu.Id, e.Message, StringComparison.Ordinal);
        Assert.Equal(1f, b.Data.ToArray<float>()[0]);
    }

    [Fact]
    public void Null_data_and_negative_dimensions_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => new Variable(null!));
        Assert.Throws<ArgumentNullException>(() => Device.FromArray((float[])null!));
        var shape = Assert.Throws<ArgumentException>(() => Device.FromArray([1f, 2f, 3f], 2, 2));
        Assert.Contains("(2, 2)", shape.Message, StringComparison.Ordinal);
        var negative = Assert.Throws<ArgumentException>(() => Device.Ones(3, -1));
        Assert.Contains("(3, -1)", negative.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => Square(null!));
        // Empty data is an empty tensor, as in NumPy (EmptyTensorTests).
        Assert.Equal(new Shape(0), Device.FromArray(Array.Empty<double>()).Shape);
    }

    [Fact]
    public void Disposed_tensors_and_variables_fail_clearly()
    {
        var t = Device.FromArray([1f, 2f]);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => new Variable(t));
        Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());

        var x = new Variable(Device.FromArray([1f, 2f]));
        x.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => Square(x));
        Assert.Contains("disposed", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => x.Backward());
    }

    [Fact]
    public void Reading_with_the_wrong_element_type_names_the_type()
    {
        var t = Device.FromArray([1f]);
        var e = Assert.Throws<InvalidOperationException>(() => t.ToArray<double>());
        Assert.Contains("float32", e.Message, StringComparison.Ordinal);
        Assert.Equal([1.0], t.ToDoubleArray());
    }

    [Fact]
    public void A_grad_of_the_wrong_shape_is_rejected()
    {
        var x = new Variable(Device.FromArray([1f, 2f]));
        var e = Assert.Throws<ArgumentException>(() => x.Grad = new Variable(Device.FromArray([1f, 2f, 3f])));
        Assert.Contains("(3,)", e.Message, StringComparison.Ordinal);
        Assert.Null(x.Grad);
    }
}
