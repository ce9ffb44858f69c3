using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// State that a layer or an optimizer owns: it outlives the <see cref="TensorScope"/> open when it was made, a
/// layer's first call makes it once (also when two threads make that call) and keeps it only when the call
/// succeeds. Bound to each accelerator kind below.
/// </summary>
public abstract class LayerStateTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private static readonly int[] Labels = [0, 1, 2, 0, 1, 2, 0, 1];

    protected Device Device => fixture.Require();

    [Theory]
    [InlineData("Linear", "Adam")]
    [InlineData("BatchNorm", "MomentumSgd")]
    [InlineData("BatchNorm", "AdaDelta")]
    public void A_scoped_training_loop_gives_the_natural_loops_weights_and_keeps_only_the_state(string model, string optimizer)
    {
        const int Steps = 12;
        var natural = Train(Device, model, optimizer, scoped: false, Steps).Weights;
        using var device = fixture.OpenFresh();
        var (scoped, layer, opt, states) = Train(device, model, optimizer, scoped: true, Steps);
        Assert.Equal(natural.Count, scoped.Count);
        for (int i = 0; i < natural.Count; i++)
            Assert.Equal(natural[i], scoped[i]);

        // What is left: each parameter with its optimizer's states, and BatchNorm's statistics. (The input, now
        // unreachable, and the labels' index buffers, which are not tensors, go back once Collect finds them.)
        layer.ClearGrads();
        device.Memory.Collect();
        long expected = 0;
        foreach (var p in layer.Params())
            expected += (1 + states) * DeviceMemory.RoundSize(p.Data.ByteLength);
        if (model == "BatchNorm")
            expected += 2 * DeviceMemory.RoundSize(6 * sizeof(float));
        Assert.Equal(expected, device.Memory.AllocatedBytes);
        GC.KeepAlive(opt); // its states live as long as it does
    }

    [Fact]
    public void Parameters_made_or_loaded_inside_a_scope_outlive_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-scoped-{Guid.NewGuid():N}.npz");
        try
        {
            var x = new Variable(Device.Ones(2, 3));
            Linear eager, loaded;
            using (TensorScope.Begin())
            {
                eager = new Linear(4, inSize: 3, device: Device);
                eager.SaveWeights(path);
                loaded = new Linear(4);
                loaded.Call(x);
            }
            using (TensorScope.Begin())
                loaded.LoadWeights(path);
            Assert.Equal(eager.Call(x).Data.ToArray<float>(), loaded.Call(x).Data.ToArray<float>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_tensor_disposed_with_its_scope_says_so_and_detach_keeps_one()
    {
        Tensor gone, kept;
        Variable named;
        using (TensorScope.Begin())
        {
            gone = Device.Ones(2, 3);
            named = new Variable(Device.Ones(2, 3), "h");
            kept = TensorScope.Detach(Device.Ones(2, 3));
        }
        var e = Assert.Throws<ObjectDisposedException>(() => gone.ToArray<float>());
        Assert.Contains("(2, 3) float32", e.Message, StringComparison.Ordinal);
        Assert.Contains("by the TensorScope it was made in", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ObjectDisposedException>(() => Exp(named));
        Assert.Contains("variable 'h' (2, 3) float32 was disposed by the TensorScope", e.Message, StringComparison.Ordinal);
        Assert.Equal(6, kept.ToArray<float>().Length);

        // Disposed by hand: no scope is blamed.
        var mine = Device.Ones(2);
        mine.Dispose();
        Assert.DoesNotContain("TensorScope", Assert.Throws<ObjectDisposedException>(() => mine.ToArray<float>()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_first_calls_make_one_weight_matrix_that_both_use()
    {
        var x = new Variable(Device.RandN(4, 64));
        for (int trial = 0; trial < 20; trial++)
        {
            var layer = new Linear(256);
            using var start = new Barrier(2);
            var calls = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return layer.Call(x).Data.ToArray<float>();
            })).ToArray();
            var outputs = await Task.WhenAll(calls);
            var expected = Linear(x, layer.W!, layer.B).Data.ToArray<float>();
            Assert.Equal(expected, outputs[0]);
            Assert.Equal(expected, outputs[1]);
        }
    }

    [Fact]
    public void A_failed_first_call_keeps_no_parameter()
    {
        var layer = new Linear(3);
        Assert.Contains("(100,)", Assert.Throws<ArgumentException>(() => layer.Call(new Variable(Device.Ones(100)))).Message, StringComparison.Ordinal);
        Assert.Null(layer.W);
        Assert.Equal(new Shape(2, 3), layer.Call(new Variable(Device.Ones(2, 5))).Shape);
        Assert.Equal(new Shape(5, 3), layer.W!.Shape);

        // A failure inside the function (b made now in float32, x float64): W is not kept either.
        var mixed = new Linear(3, device: Device);
        Assert.ThrowsAny<ArgumentException>(() => mixed.Call(new Variable(Device.Ones(new Shape(2, 5), DType.Float64))));
        Assert.Null(mixed.W);
        Assert.Equal(new Shape(2, 3), mixed.Call(new Variable(Device.Ones(2, 7))).Shape);
        Assert.Equal(new Shape(7, 3), mixed.W!.Shape);

    }

    /// <summary>Steps of a small classifier on a fixed batch, scoped or not, from seed 5.</summary>
    private static (List<float[]> Weights, Layer Model, Optimizer Optimizer, int States) Train(Device device, string model, string optimizer, bool scoped, int steps)
    {
        device.Random.ManualSeed(5);
        var x = new Variable(device.RandN(8, 4));
        Layer layer = model == "Linear" ? new Linear(3) : new Classifier();
        (Optimizer opt, int states) = optimizer switch
        {
            "Adam" => ((Optimizer)new Adam(alpha: 0.01), 2),
            "AdaDelta" => (new AdaDelta(), 2),
            _ => (new MomentumSgd(lr: 0.1), 1),
        };
        for (int i = 0; i < steps; i++)
        {
            using (scoped ? TensorScope.Begin() : null)
            {
                layer.ClearGrads();
                var loss = SoftmaxCrossEntropy(layer.Call(x), Labels);
                loss.Backward();
                opt.Update(layer.Params());
            }
        }
        var weights = layer.Params().Select(p => p.Data.ToArray<float>()).ToList();
        if (layer is Classifier c)
            weights.AddRange([c.Norm.RunningMean!.ToArray<float>(), c.Norm.RunningVar!.ToArray<float>()]);
        return (weights, layer, opt, states);
    }

    /// <summary>Linear(6), batch normalization, ReLU, Linear(3).</summary>
    private sealed class Classifier : Layer
    {
        private readonly Linear l0, l1;

        public Classifier()
        {
            l0 = Sublayer("l0", new Linear(6));
            Norm = Sublayer("bn", new Layers.BatchNorm());
            l1 = Sublayer("l1", new Linear(3));
        }

        public Layers.BatchNorm Norm { get; }

        protected override Variable Forward(Variable[] inputs) => l1.Call(ReLU(Norm.Call(l0.Call(OneInput(inputs)))));
    }
}

public sealed class CpuLayerStateTests(CpuFixture fixture) : LayerStateTests<CpuFixture>(fixture);

public sealed class CudaLayerStateTests(CudaFixture fixture) : LayerStateTests<CudaFixture>(fixture);

public sealed class OpenCLLayerStateTests(OpenCLFixture fixture) : LayerStateTests<OpenCLFixture>(fixture);
