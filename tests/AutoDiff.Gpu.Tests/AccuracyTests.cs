using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>argmax and argmin of tensors, and DeZero's accuracy, through the engine. Bound to each accelerator kind below.</summary>
public abstract class AccuracyTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void ArgMax_and_ArgMin_follow_numpy_along_each_axis_and_over_all()
    {
        // (2, 3, 4) holding a permutation of 0..23, so there is one greatest and one least per line.
        var values = new double[24];
        var order = Enumerable.Range(0, 24).ToArray();
        new Random(9).Shuffle(order);
        for (int i = 0; i < 24; i++)
            values[i] = order[i];
        var x = Device.FromArray(values, 2, 3, 4);
        Assert.Equal(Array.IndexOf(values, 23.0), x.ArgMax()[0]);
        Assert.Equal(Array.IndexOf(values, 0.0), x.ArgMin()[0]);
        int[] dims = [2, 3, 4];
        for (int axis = 0; axis < 3; axis++)
        {
            int n = dims[axis], inner = axis == 2 ? 1 : axis == 1 ? 4 : 12, outer = 24 / (n * inner);
            var expectedMax = new int[outer * inner];
            var expectedMin = new int[outer * inner];
            for (int o = 0; o < outer; o++)
            {
                for (int r = 0; r < inner; r++)
                {
                    var line = Enumerable.Range(0, n).Select(j => values[((o * n) + j) * inner + r]).ToList();
                    expectedMax[(o * inner) + r] = line.IndexOf(line.Max());
                    expectedMin[(o * inner) + r] = line.IndexOf(line.Min());
                }
            }
            Assert.Equal(expectedMax, x.ArgMax(axis));
            Assert.Equal(expectedMin, x.ArgMin(axis));
            Assert.Equal(expectedMax, x.ArgMax(axis - 3));
        }
    }

    [Fact]
    public void The_first_of_equals_wins_and_nan_wins_over_numbers()
    {
        var x = Device.FromArray(new float[] { 1, 5, 5, 0, 0, 2, float.NaN, 9, float.NaN }, 3, 3);
        Assert.Equal([1, 2, 0], x.ArgMax(1));
        Assert.Equal([0, 0, 0], x.ArgMin(1));
        Assert.Equal([2, 1, 2], x.ArgMin(0));
        Assert.Equal(6, x.ArgMax().Single());
        Assert.Empty(Device.Ones(0, 3).ArgMax(1));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Accuracy_is_the_fraction_of_rows_whose_argmax_is_the_label(DType dtype)
    {
        var y = new Variable(Device.FromArray(new double[,] { { 0.2, 0.8, 0 }, { 0.1, 0.3, 0.6 }, { 0.9, 0.05, 0.05 }, { 0.3, 0.3, 0.4 } }).To(dtype));
        var all = Accuracy(y, [1, 2, 0, 2]);
        Assert.Equal((Shape.Scalar, dtype), (all.Shape, all.DType));
        Assert.Equal(1.0, all.Data.Item());
        Assert.Null(all.Creator);
        Assert.Equal(0.5, Accuracy(y, [1, 0, 0, 1]).Data.Item());
        // A label out of range never matches; a negative one neither.
        Assert.Equal(0.25, Accuracy(y, [7, -1, 0, 5]).Data.Item());
        Assert.True(double.IsNaN(Accuracy(new Variable(Device.Ones(new Shape(0, 3), dtype)), []).Data.Item()));
    }

    [Fact]
    public void Accuracy_of_a_trained_classifier_after_softmax_cross_entropy()
    {
        // Scores from a fixed linear map of one-hot inputs: row i scores class i % 3 highest.
        int n = 300;
        var scores = new double[n, 3];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 3;
            for (int c = 0; c < 3; c++)
                scores[i, c] = c == labels[i] ? 2 : -1;
        }
        var y = new Variable(Device.FromArray(scores));
        var loss = SoftmaxCrossEntropy(y, labels);
        loss.Backward();
        Assert.NotNull(y.Grad);
        Assert.Equal(1.0, Accuracy(y, labels).Data.Item());
        labels[0] = 1;
        Assert.Equal(299.0 / 300, Accuracy(y, labels).Data.Item(), 15);
    }

    [Fact]
    public void Bad_input_names_the_axis_or_the_shapes()
    {
        var x = Device.Ones(2, 3);
        Assert.Contains("axis 2 is out of range for shape (2, 3)", Assert.Throws<ArgumentOutOfRangeException>(() => x.ArgMax(2)).Message, StringComparison.Ordinal);
        Assert.Contains("is empty", Assert.Throws<ArgumentException>(() => Device.Ones(3, 0).ArgMin(1)).Message, StringComparison.Ordinal);
        Assert.Contains("is empty", Assert.Throws<ArgumentException>(() => Device.Ones(0).ArgMax()).Message, StringComparison.Ordinal);
        var y = new Variable(x);
        Assert.Contains("3 labels for 2 rows", Assert.Throws<ArgumentException>(() => Accuracy(y, [0, 1, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("must be a matrix (N, C)", Assert.Throws<ArgumentException>(() => Accuracy(new Variable(Device.Ones(4)), [0, 1, 2, 3])).Message, StringComparison.Ordinal);
    }
}

public sealed class CpuAccuracyTests(CpuFixture fixture) : AccuracyTests<CpuFixture>(fixture);

public sealed class CudaAccuracyTests(CudaFixture fixture) : AccuracyTests<CudaFixture>(fixture);

public sealed class OpenCLAccuracyTests(OpenCLFixture fixture) : AccuracyTests<OpenCLFixture>(fixture);
