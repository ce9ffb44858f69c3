using AutoDiff.Gpu.Layers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Int32 tensors on the device: labels for the loss and the accuracy (the same values as host labels), ids for
/// embeddings (DeZero's <c>W[ids]</c> of any shape, and its EmbedId layer). Bound to each accelerator kind below.
/// </summary>
public abstract class IndexTensorTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void Indices_keep_their_values_shape_and_range()
    {
        using var t = Device.FromIndices([3, -1, 4, 1, 5, 9], 2, 3);
        Assert.Equal(new Shape(2, 3), t.Shape);
        Assert.Equal((6, -1, 9), (t.Length, t.Min, t.Max));
        Assert.Equal([3, -1, 4, 1, 5, 9], t.ToArray());
        Assert.Equal("indices([3, -1, 4, 1, 5, 9], shape=(2, 3))", t.ToString());
        Assert.Equal("indices([7])", Device.FromIndices([7]).ToString());
        Assert.Equal([3, -1, 4, 1, 5, 9], t.To(Device).ToArray());
        Refused.With<ArgumentException>("shape (4,) needs 4", () => Device.FromIndices([1, 2], 4));
        var gone = Device.FromIndices([1]);
        gone.Dispose();
        Assert.True(gone.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => gone.ToArray());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Loss_and_accuracy_against_device_labels_equal_those_against_host_labels(DType dtype)
    {
        int[] labels = [2, 0, 1, 2, 2];
        var h = HostArray.Random(new Shape(5, 3), 17).Rounded(dtype);
        var x1 = new Variable(h.ToTensor(Device, dtype));
        var x2 = new Variable(h.ToTensor(Device, dtype));
        using var t = Device.FromIndices(labels);
        var host = SoftmaxCrossEntropy(x1, labels);
        var device = SoftmaxCrossEntropy(x2, t);
        Assert.Equal(host.Item(), device.Item());
        host.Backward(createGraph: true);
        device.Backward(createGraph: true);
        Assert.Equal(x1.Grad!.ToDoubleArray(), x2.Grad!.ToDoubleArray());
        // Second order: the gradient's own backward reads the labels again.
        var g1 = x1.Grad;
        var g2 = x2.Grad;
        x1.ClearGrad();
        x2.ClearGrad();
        Sum(Square(g1)).Backward();
        Sum(Square(g2)).Backward();
        Assert.Equal(x1.Grad!.ToDoubleArray(), x2.Grad!.ToDoubleArray());
        Assert.Equal(Accuracy(x1, labels).Item(), Accuracy(x1, t).Item());
    }

    [Fact]
    public void Device_labels_out_of_range_or_misshapen_are_refused_by_name()
    {
        var x = new Variable(Device.Ones(4, 3));
        Refused.With<ArgumentOutOfRangeException>(
            "the labels range over [0, 3], not all classes of x (4, 3): labels are in [0, 3)",
            () => SoftmaxCrossEntropy(x, Device.FromIndices([0, 1, 3, 2])));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy(x, Device.FromIndices([0, -1, 1, 2])));
        Refused.With<ArgumentException>(
            "3 labels for the 4 rows",
            () => SoftmaxCrossEntropy(x, Device.FromIndices([0, 1, 2])));
        Refused.With<ArgumentException>(
            "must be (N,)",
            () => SoftmaxCrossEntropy(x, Device.FromIndices([0, 1, 2, 0], 2, 2)));
        Refused.With<ArgumentException>(
            "labels (2, 2) for 4 rows",
            () => Accuracy(x, Device.FromIndices([0, 1, 2, 0], 2, 2)));
        var gone = Device.FromIndices([0, 1, 2, 0]);
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => SoftmaxCrossEntropy(x, gone));
    }

    [Fact]
    public void EmbedId_of_device_ids_has_their_shape_and_adds_gradients_of_repeats()
    {
        var w = new Variable(Device.FromArray([0.0, 1, 10, 11, 20, 21], 3, 2));
        using var ids = Device.FromIndices([2, 0, 2, -1], 2, 2);
        var e = EmbedId(ids, w);
        Assert.Equal(new Shape(2, 2, 2), e.Shape);
        Assert.Equal([20.0, 21, 0, 1, 20, 21, 20, 21], e.ToDoubleArray());
        Sum(e).Backward();
        Assert.Equal([1.0, 1, 0, 0, 3, 3], w.Grad!.ToDoubleArray());
        Refused.With<ArgumentOutOfRangeException>(
            "the ids range over [0, 3], beyond the 3 rows of W (3, 2)", () => EmbedId(Device.FromIndices([0, 3]), w));
    }

    [Fact]
    public void EmbedID_draws_W_from_the_standard_normal_and_looks_rows_up()
    {
        Device.Random.ManualSeed(9);
        var layer = new EmbedId(1000, 20, Device, DType.Float64);
        var values = layer.W!.ToDoubleArray();
        double mean = values.Average(), std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(std, 0.98, 1.02);
        var rows = layer.Call([5, 999]);
        Assert.Equal(new Shape(2, 20), rows.Shape);
        Assert.Equal(values.Skip(5 * 20).Take(20), rows.ToDoubleArray().Take(20));
        Assert.Equal(["W"], layer.NamedParams().Select(p => p.Name));

        // Without a device W is made by the first call with ids on one.
        var lazy = new EmbedId(4, 3);
        Refused.With<InvalidOperationException>("W is not made yet", () => lazy.Call([1]));
        Assert.Equal(new Shape(1, 2, 3), lazy.Call(Device.FromIndices([1, 3], 1, 2)).Shape);
        Assert.Equal((new Shape(4, 3), DType.Float32), (lazy.W!.Shape, lazy.W.DType));
        Refused.With<ArgumentException>(
            "call it with an int[] or an IndexTensor",
            () => lazy.Call(new Variable(Device.Ones(2))));
    }
}

public sealed class CpuIndexTensorTests(CpuFixture fixture) : IndexTensorTests<CpuFixture>(fixture);

public sealed class CudaIndexTensorTests(CudaFixture fixture) : IndexTensorTests<CudaFixture>(fixture);

public sealed class OpenCLIndexTensorTests(OpenCLFixture fixture) : IndexTensorTests<OpenCLFixture>(fixture);
