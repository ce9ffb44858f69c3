using AutoDiff.Gpu.Checkpoints;
using AutoDiff.Gpu.Data;
using AutoDiff.Gpu.Distributed;
using AutoDiff.Gpu.Experiments;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Checkpoints: a run stopped after k steps and resumed from its checkpoint in fresh objects gives, bit for bit, the
/// parameters and statistics of the run that never stopped (a model with batch normalization and dropout, each
/// optimizer, a shuffling data loader stopped mid-epoch); a checkpoint that does not fit changes nothing. Data-parallel
/// on one rank: written by rank 0 and read by every rank, it resumes a data-parallel model or a plain one; a rank's
/// failure is an error. Bound to each accelerator kind below.
/// </summary>
public abstract class CheckpointTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : DeviceFixture
{
    private const int Steps = 17;

    private readonly string folder = Directory.CreateTempSubdirectory("autodiff-checkpoint-").FullName;

    protected Device Device => fixture.Require();

    private string Path => System.IO.Path.Combine(folder, "run.safetensors");

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData("Sgd", 9)]
    [InlineData("Adam", 9)]
    [InlineData("Adam", 7)]
    [InlineData("MomentumSgd", 12)]
    [InlineData("AdaDelta", 1)]
    public void A_resumed_run_gives_the_uninterrupted_runs_parameters_bit_for_bit(string optimizer, int stopAt)
    {
        var (x, labels) = Data();
        var whole = Run.Start(Device, optimizer, x, labels, seed: 11);
        whole.Train(Steps);
        var wholeRandom = Device.Random.State;

        var first = Run.Start(Device, optimizer, x, labels, seed: 11);
        first.Train(stopAt);
        Checkpoint.Save(Path, first.Model, first.Optimizer, first.Loader);

        // Fresh objects, another seed, default settings: everything must come from the checkpoint.
        var resumed = Run.Fresh(Device, optimizer, x, labels);
        Checkpoint.Load(Path, resumed.Model, resumed.Optimizer, resumed.Loader);
        resumed.Train(Steps - stopAt);

        var expected = whole.State();
        var actual = resumed.State();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i], actual[i]);
        Assert.Equal(whole.Loader.State.Batches, resumed.Loader.State.Batches);
        Assert.Equal(wholeRandom, Device.Random.State);
    }

    [Fact]
    public void A_checkpoint_that_does_not_fit_changes_nothing()
    {
        var (x, labels) = Data();
        var run = Run.Start(Device, "Adam", x, labels, seed: 5);
        run.Train(3);
        Checkpoint.Save(Path, run.Model, run.Optimizer, run.Loader);

        var other = Run.Fresh(Device, "Sgd", x, labels);
        var before = other.State();
        var random = Device.Random.State;
        var loader = other.Loader.State;
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Path, other.Model, other.Optimizer, other.Loader));
        Assert.Contains("the checkpoint's optimizer is AutoDiff.Gpu.Optimizers.Adam, not AutoDiff.Gpu.Optimizers.Sgd", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, other.State());
        Assert.Equal(random, Device.Random.State);
        Assert.Equal((loader.Epochs, loader.Batches), (other.Loader.State.Epochs, other.Loader.State.Batches));

        // A weights file is not a checkpoint.
        run.Model.SaveWeights(Path);
        Assert.Contains("is not a checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Path, other.Model)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loader_resumes_mid_epoch_with_the_same_batches()
    {
        var x = Device.FromArray(Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), 10, 1);
        var labels = Enumerable.Range(0, 10).ToArray();
        var loader = new DataLoader(x, labels, batchSize: 3, seed: 4);
        var whole = Batches(loader, 2).Concat(Batches(loader, 6)).ToList();

        var stopped = new DataLoader(x, labels, batchSize: 3, seed: 4);
        Batches(stopped, 2);
        var state = stopped.State;
        var resumed = new DataLoader(x, labels, batchSize: 3, seed: 99) { State = state };
        Assert.Equal(whole.Skip(2), Batches(resumed, 6));
        Assert.Throws<ArgumentException>(() => resumed.State = state with { Order = [0, 1, 2] });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_run_resumed_from_rank_0s_checkpoint_gives_the_uninterrupted_runs_parameters(bool dataParallel)
    {
        using var ranks = Collectives.Start(Device);
        var whole = new SpiralTraining(Device, ranks, batchSize: 30, DType.Float32, seed: 6);
        whole.Train(17);
        var expected = whole.Parameters();
        var first = new SpiralTraining(Device, ranks, batchSize: 30, DType.Float32, seed: 6);
        first.Train(9);

        Checkpoint.Save(ranks, Path, first.Model, first.Optimizer, first.Loader);
        // Fresh objects and another seed: everything comes from the file, into a data-parallel model or a plain one.
        var resumed = new SpiralTraining(Device, dataParallel ? ranks : null, batchSize: 30, DType.Float32, seed: 50);
        resumed.Model.Call(new Variable(Device.Zeros(new Shape(1, 2), DType.Float32)));
        Checkpoint.Load(ranks, Path, resumed.Model, resumed.Optimizer, resumed.Loader);
        resumed.Train(8);

        var actual = resumed.Parameters();
        Assert.Equal(expected.Select(p => p.Name), actual.Select(p => p.Name));
        foreach (var (e, a) in expected.Zip(actual))
            Assert.Equal(e.Values, a.Values);
    }

    [Fact]
    public void A_checkpoint_rank_0_cannot_write_or_a_rank_cannot_read_is_an_error()
    {
        using var ranks = Collectives.Start(Device);
        var run = new SpiralTraining(Device, ranks, batchSize: 30, DType.Float32, seed: 6);
        run.Train(1);

        string nowhere = System.IO.Path.Combine(folder, "absent", "run.safetensors");
        Assert.ThrowsAny<IOException>(() => Checkpoint.Save(ranks, nowhere, run.Model, run.Optimizer));
        Assert.ThrowsAny<IOException>(() => Checkpoint.Load(ranks, nowhere, run.Model, run.Optimizer));
        Assert.False(File.Exists(nowhere));
    }

    private static List<string> Batches(DataLoader loader, int count)
    {
        var result = new List<string>();
        while (result.Count < count)
        {
            foreach (var batch in loader)
            {
                result.Add(string.Join(",", batch.Labels!));
                if (result.Count == count)
                    break;
            }
        }
        return result;
    }

    private (Tensor X, int[] Labels) Data()
    {
        Device.Random.ManualSeed(1);
        return (Device.RandN(40, 4), Enumerable.Range(0, 40).Select(i => i % 3).ToArray());
    }

    /// <summary>A model, its optimizer and its loader, trained one batch per step.</summary>
    private sealed record Run(Layer Model, Optimizer Optimizer, DataLoader Loader)
    {
        public static Run Start(Device device, string optimizer, Tensor x, int[] labels, int seed)
        {
            device.Random.ManualSeed((ulong)seed);
            Optimizer opt = optimizer switch
            {
                "Sgd" => new Sgd(lr: 0.1),
                "Adam" => new Adam(alpha: 0.01, beta1: 0.8),
                "MomentumSgd" => new MomentumSgd(lr: 0.05, momentum: 0.7),
                _ => new AdaDelta(rho: 0.9),
            };
            opt.AddHook(new WeightDecay(1e-3)).AddHook(new ClipGrad(5));
            return new Run(new Net(device), opt, new DataLoader(x, labels, batchSize: 6, seed: seed));
        }

        /// <summary>The same kinds of objects, made from another seed with default settings, the model called once.</summary>
        public static Run Fresh(Device device, string optimizer, Tensor x, int[] labels)
        {
            device.Random.ManualSeed(999);
            Optimizer opt = optimizer switch
            {
                "Sgd" => new Sgd(),
                "Adam" => new Adam(),
                "MomentumSgd" => new MomentumSgd(),
                _ => new AdaDelta(),
            };
            var model = new Net(device);
            using (Config.NoGrad())
                model.Call(new Variable(device.Ones(2, 4)));
            return new Run(model, opt, new DataLoader(x, labels, batchSize: 6, seed: 3));
        }

        public void Train(int steps)
        {
            int done = 0;
            while (done < steps)
            {
                foreach (var batch in Loader)
                {
                    Model.ClearGrads();
                    SoftmaxCrossEntropy(Model.Call(batch.X), batch.Labels!).Backward();
                    Optimizer.Update(Model.Params());
                    if (++done == steps)
                        break;
                }
            }
        }

        /// <summary>Every parameter and buffer, as float32 arrays.</summary>
        public List<float[]> State() =>
            [.. Model.Params().Select(p => p.Data.ToArray<float>()), .. Model.NamedBuffers().Select(b => b.Buffer.ToArray<float>())];
    }

    /// <summary>Linear(8), batch normalization, ReLU, dropout(0.3), Linear(3).</summary>
    private sealed class Net : Layer
    {
        private readonly Layers.Linear l0, l1;
        private readonly Layers.BatchNorm bn;

        public Net(Device device)
        {
            l0 = Sublayer("l0", new Layers.Linear(8, inSize: 4, device: device));
            bn = Sublayer("bn", new Layers.BatchNorm());
            l1 = Sublayer("l1", new Layers.Linear(3, inSize: 8, device: device));
        }

        protected override Variable Forward(Variable[] inputs) =>
            l1.Call(Dropout(ReLU(bn.Call(l0.Call(OneInput(inputs)))), 0.3));
    }
}

public sealed class CpuCheckpointTests(CpuFixture fixture) : CheckpointTests<CpuFixture>(fixture);

public sealed class CudaCheckpointTests(CudaFixture fixture) : CheckpointTests<CudaFixture>(fixture);

public sealed class OpenCLCheckpointTests(OpenCLFixture fixture) : CheckpointTests<OpenCLFixture>(fixture);
