using AutoDiff.Gpu.Data;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The spiral data set and the data loader: batches cover every row once an epoch, in a new order when shuffling, and
/// leave the caller's grad mode alone; the book's spiral classification (steps 48–50) trained from minibatches.
/// Bound to each accelerator kind below.
/// </summary>
public abstract class DataTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void Spiral_has_three_arms_of_a_hundred_points_inside_the_unit_disc()
    {
        var (x, t) = Spiral.Load(Device);
        Assert.Equal((new Shape(300, 2), DType.Float32), (x.Shape, x.DType));
        Assert.Equal([100, 100, 100], t.GroupBy(c => c).OrderBy(g => g.Key).Select(g => g.Count()));
        var p = x.ToDoubleArray();
        Assert.All(Enumerable.Range(0, 300), i => Assert.True(Math.Sqrt((p[2 * i] * p[2 * i]) + (p[(2 * i) + 1] * p[(2 * i) + 1])) < 1));
        Assert.NotEqual(t, Spiral.Load(Device, train: false).T);
    }

    [Fact]
    public void An_epoch_visits_every_row_once_in_batches()
    {
        var x = Device.FromArray(Enumerable.Range(0, 10).Select(i => (double)i).ToArray(), 10, 1);
        var loader = new DataLoader(x, Enumerable.Range(0, 10).Select(i => i * 10).ToArray(), batchSize: 4, seed: 1);
        Assert.Equal(3, loader.Count);
        var epoch = loader.ToList();
        Assert.Equal([4, 4, 2], epoch.Select(b => b.X.Shape[0]));
        var rows = epoch.SelectMany(b => b.X.Data.ToDoubleArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), rows.Order());
        Assert.NotEqual(Enumerable.Range(0, 10).Select(i => (double)i), rows);
        // Labels travel with their rows; the next epoch takes another order.
        Assert.All(epoch, b => Assert.Equal(b.X.Data.ToDoubleArray().Select(v => (int)v * 10), b.Labels!));
        Assert.NotEqual(rows, loader.SelectMany(b => b.X.Data.ToDoubleArray()).ToArray());

        var inOrder = new DataLoader(x, x, batchSize: 3, shuffle: false);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), inOrder.SelectMany(b => b.Targets!.Data.ToDoubleArray()));
        Assert.Throws<ArgumentException>(() => new DataLoader(x, [1, 2], batchSize: 2));
    }

    [Fact]
    public void Training_steps_inside_an_epoch_record_their_graph()
    {
        var x = Device.Ones(6, 2);
        foreach (var batch in new DataLoader(x, new int[6], batchSize: 3))
        {
            Assert.True(Config.EnableBackprop);
            var w = new Variable(Device.Ones(2, 3));
            Sum(MatMul(batch.X, w)).Backward();
            Assert.NotNull(w.Grad);
        }
    }

    [Fact]
    public void The_books_spiral_classifier_learns_from_minibatches()
    {
        Device.Random.ManualSeed(0);
        var (x, t) = Spiral.Load(Device);
        var model = new Mlp([10, 3]);
        var optimizer = new Adam(alpha: 0.05);
        var loader = new DataLoader(x, t, batchSize: 30, seed: 2);
        for (int epoch = 0; epoch < 60; epoch++)
        {
            foreach (var batch in loader)
            {
                var loss = SoftmaxCrossEntropy(model.Call(batch.X), batch.Labels!);
                model.ClearGrads();
                loss.Backward();
                optimizer.Update(model.Params());
            }
        }
        double accuracy;
        using (Config.NoGrad())
            accuracy = Accuracy(model.Call(new Variable(x)), t).Data.Item();
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
    }
}

public sealed class CpuDataTests(CpuFixture fixture) : DataTests<CpuFixture>(fixture);

public sealed class CudaDataTests(CudaFixture fixture) : DataTests<CudaFixture>(fixture);

public sealed class OpenCLDataTests(OpenCLFixture fixture) : DataTests<OpenCLFixture>(fixture);
