using AutoDiff.Gpu.Data;
using AutoDiff.Gpu.Distributed;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The book's spiral classifier (steps 47–50: <c>Mlp([10, 3])</c>, SGD with rate 1) trained from minibatches, in one
/// process or data-parallel over ranks by the same loop. Each rank seeds its generator with seed + rank, so the ranks
/// start equal only because <see cref="DataParallel"/> broadcasts rank 0's weights. Linked into the tests, so that
/// the experiments program and the tests train the same way.
/// </summary>
internal sealed class SpiralTraining
{
    private IEnumerator<Batch>? batches;
    private (DataLoader Loader, IEnumerator<Batch>? Batches)[]? parts;

    /// <summary>
    /// Loads the data on <paramref name="device"/>; the model and the loader (batches of <paramref name="batchSize"/>
    /// rows in all) are data-parallel over <paramref name="ranks"/> when given, plain otherwise.
    /// </summary>
    public SpiralTraining(
        Device device, Collectives? ranks, int batchSize, DType dtype, int seed,
        long bucketBytes = DataParallel.DefaultBucketBytes)
    {
        device.Random.ManualSeed((ulong)(seed + (ranks?.Rank ?? 0)));
        var (x, t) = Spiral.Load(device, dtype: dtype);
        var mlp = new Mlp([10, Spiral.Classes]);
        Model = ranks is null ? mlp : new DataParallel(mlp, ranks, bucketBytes);
        Optimizer = new Sgd(1.0).Setup(Model);
        var loader = new DataLoader(x, t, batchSize, seed: seed);
        Loader = ranks is null ? loader : loader.Shard(ranks);
    }

    /// <summary>The model: the MLP, or the MLP inside <see cref="DataParallel"/>.</summary>
    public Layer Model { get; }

    /// <summary>Plain SGD with rate 1, set up with <see cref="Model"/>.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>This process's loader: the whole batches, or this rank's part of each.</summary>
    public DataLoader Loader { get; }

    /// <summary>Runs <paramref name="count"/> training steps, going on from epoch to epoch.</summary>
    public void Train(int count)
    {
        for (int i = 0; i < count; i++)
            Step();
    }

    /// <summary>One step on the next batch: loss, gradients cleared, backward, update.</summary>
    public void Step() => Step(Next(Loader, ref batches));

    /// <summary>
    /// One epoch as the book's step 48 writes it: a step on each batch of the loader, each loss read after its
    /// update. Returns the mean loss over the rows.
    /// </summary>
    public double Epoch()
    {
        double sum = 0;
        int rows = 0;
        foreach (var batch in Loader)
        {
            int n = batch.Labels!.Length;
            sum += Step(batch).Item() * n;
            rows += n;
        }
        return sum / rows;
    }

    private Variable Step(Batch batch)
    {
        var loss = SoftmaxCrossEntropy(Model.Call(batch.X), batch.Labels!);
        Model.ClearGrads();
        loss.Backward();
        Optimizer.Update();
        return loss;
    }

    /// <summary>
    /// One step as <paramref name="ranks"/> ranks take it, in this process and in a fixed order: the gradient of each
    /// rank's part of the next batch in rank order, added up by backward, times 1/ranks, then the update. Use it
    /// instead of <see cref="Step"/>, always with the same count.
    /// </summary>
    public void StepInParts(int ranks)
    {
        parts ??= [.. Enumerable.Range(0, ranks).Select(r => (Loader.Shard(r, ranks), (IEnumerator<Batch>?)null))];
        Model.ClearGrads();
        for (int r = 0; r < ranks; r++)
        {
            var batch = Next(parts[r].Loader, ref parts[r].Batches);
            SoftmaxCrossEntropy(Model.Call(batch.X), batch.Labels!).Backward();
        }
        using (Config.NoGrad())
        {
            foreach (var p in Model.Params())
                p.Grad = p.Grad! * (1.0 / ranks);
        }
        Optimizer.Update();
    }

    /// <summary>The next batch of <paramref name="loader"/>, going on to the next epoch after the last.</summary>
    private static Batch Next(DataLoader loader, ref IEnumerator<Batch>? batches)
    {
        batches ??= loader.GetEnumerator();
        if (!batches.MoveNext())
        {
            batches = loader.GetEnumerator();
            batches.MoveNext();
        }
        return batches.Current;
    }

    /// <summary>The parameters by name, as float64 (exact for float32 values).</summary>
    public List<(string Name, double[] Values)> Parameters() =>
        [.. Model.NamedParams().Select(p => (p.Name, p.Parameter.ToDoubleArray()))];
}
