using System.Globalization;
using AutoDiff.Gpu.Experiments;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Distributed.Runner;

/// <summary>
/// Data-parallel training and sharded arrays over the ranks, each checked against one process: the spiral
/// classifier against the same batches trained in one process; a parameter used on one rank only; a checkpoint
/// written by rank 0 and resumed by all; the sharded seed against the whole array.
/// </summary>
internal static class DataParallelScenarios
{
    private const int Batch = 60;
    private const int Steps = 12;
    private const int Seed = 3;

    /// <summary>
    /// How far the data-parallel parameters may be from one process's on the whole batch, relative to the largest:
    /// only the order of the additions over the batch's rows differs.
    /// </summary>
    private static readonly Dictionary<DType, double> Tolerance = new()
    {
        [DType.Float64] = 1e-14,
        [DType.Float32] = 1e-6,
    };

    /// <summary>
    /// The spiral classifier, batches of 60 rows over the ranks (each rank starting from its own weights), against one
    /// process: bit for bit against the ranks' parts added in rank order where the order is fixed (two ranks: a + b
    /// is b + a), within <see cref="Tolerance"/> against the whole batch, and the same on every rank.
    /// </summary>
    public static string Training(Collectives c)
    {
        var found = new List<string>();
        foreach (var dtype in (DType[])[DType.Float64, DType.Float32])
        {
            var ranks = new SpiralTraining(c.Device, c, Batch, dtype, Seed);
            ranks.Train(Steps);
            var parts = new SpiralTraining(c.Device, null, Batch, dtype, Seed);
            for (int i = 0; i < Steps; i++)
                parts.StepInParts(c.Size);
            var whole = new SpiralTraining(c.Device, null, Batch, dtype, Seed);
            whole.Train(Steps);

            var got = Flat(ranks.Parameters());
            SameOnEveryRank(c, $"data-parallel {dtype.Name()} parameters", got);
            double fromParts = Distance(got, Flat(parts.Parameters()));
            double fromWhole = Distance(got, Flat(whole.Parameters()));
            if (c.Size <= 2 && fromParts != 0)
            {
                throw new WrongResultException(
                    $"{dtype.Name()}: {c.Size} ranks differ from their parts added in one process by {fromParts:G3}");
            }
            if (fromParts > Tolerance[dtype] || fromWhole > Tolerance[dtype])
            {
                throw new WrongResultException(
                    $"{dtype.Name()}: off by {fromParts:G3} from the parts, {fromWhole:G3} from the whole batch " +
                    $"(tolerance {Tolerance[dtype]:G1})");
            }
            var invariant = CultureInfo.InvariantCulture;
            string parted = fromParts == 0 ? "bit for bit" : fromParts.ToString("G2", invariant);
            found.Add(string.Create(invariant, $"{dtype.Name()}: parts {parted}, whole {fromWhole:G2}"));
        }
        return string.Join("; ", found);
    }

    /// <summary>
    /// Branch b is used on rank 0 only, branch c nowhere: b's gradient is rank 0's times 1/ranks on every rank, c keeps
    /// none anywhere, and one update leaves every rank's parameters the same.
    /// </summary>
    public static string Unused(Collectives c)
    {
        c.Device.Random.ManualSeed((ulong)(Seed + c.Rank));
        var model = new DataParallel(new Branches(c.Device, c.Rank == 0), c, bucketBytes: 64);
        var optimizer = new Sgd(0.5).Setup(model);
        var x = new Variable(c.Device.Random.Normal(new Shape(4, 2), DType.Float64)) { RequiresGrad = false };
        Sum(model.Call(x)).Backward();
        var mine = model.NamedParams().ToDictionary(p => p.Name, p => p.Parameter.Grad?.Data.ToDoubleArray());

        model.AverageGradients();

        var grads = model.NamedParams().ToDictionary(p => p.Name, p => p.Parameter.Grad?.Data.ToDoubleArray());
        if (grads["C/W"] is not null || grads["C/b"] is not null)
            throw new WrongResultException("branch c, unused on every rank, has a gradient");
        foreach (string name in (string[])["A/W", "A/b", "B/W", "B/b"])
        {
            var grad = grads[name] ?? throw new WrongResultException($"{name} has no gradient");
            SameOnEveryRank(c, $"the averaged gradient of {name}", grad);
        }
        if (c.IsRoot && !grads["B/W"]!.SequenceEqual(mine["B/W"]!.Select(v => v * (1.0 / c.Size))))
            throw new WrongResultException("b/W's gradient is not rank 0's times 1/ranks");
        optimizer.Update();
        var after = model.NamedParams().Select(p => (p.Name, p.Parameter.ToDoubleArray())).ToList();
        SameOnEveryRank(c, "the parameters after the update", Flat(after));
        return "b averaged from rank 0, c without a gradient";
    }

    /// <summary>
    /// Rank 0 saves after 4 steps, every rank loads into fresh objects: 6 more steps give the uninterrupted run's
    /// parameters bit for bit, and the file loads into a plain model too.
    /// </summary>
    public static string Checkpoint(Collectives c)
    {
        long id = (long)c.FromRoot(Random.Shared.Next());
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-ddp-{id}.safetensors");
        var whole = new SpiralTraining(c.Device, c, Batch, DType.Float32, Seed);
        whole.Train(10);
        var first = new SpiralTraining(c.Device, c, Batch, DType.Float32, Seed);
        first.Train(4);
        Checkpoints.Checkpoint.Save(c, path, first.Model, first.Optimizer, first.Loader);

        var resumed = new SpiralTraining(c.Device, c, Batch, DType.Float32, Seed + 40);
        var plain = new SpiralTraining(c.Device, null, Batch, DType.Float32, Seed + 40);
        foreach (var model in (Layer[])[resumed.Model, plain.Model])
            model.Call(new Variable(c.Device.Zeros(new Shape(1, 2), DType.Float32)));
        Checkpoints.Checkpoint.Load(c, path, resumed.Model, resumed.Optimizer, resumed.Loader);
        Checkpoints.Checkpoint.Load(c, path, plain.Model, plain.Optimizer, plain.Loader);
        c.Barrier();
        if (c.IsRoot)
            File.Delete(path);
        if (Distance(Flat(plain.Parameters()), Flat(first.Parameters())) != 0)
            throw new WrongResultException("the checkpoint loads other parameters into a plain model");
        resumed.Train(6);
        if (Distance(Flat(resumed.Parameters()), Flat(whole.Parameters())) != 0)
            throw new WrongResultException("the resumed run differs from the uninterrupted one");
        return "resumed bit for bit";
    }

    /// <summary>The seed's experiment split over the ranks gives the whole array's results, bit for bit.</summary>
    public static string ShardedSeed(Collectives c)
    {
        foreach (var (size, dtype) in new[] { (7, DType.Float32), (20, DType.Float64), (33, DType.Float32) })
        {
            var (global, check) = new ShardedSeed(c, c.Device, size, dtype).Iterate(check: true);
            var (expected, wholeCheck) = new ShardedSeed(null, c.Device, size, dtype).Iterate(check: true);
            if (!global.SequenceEqual(expected) || !check.SequenceEqual(wholeCheck) || check.Any(v => v != 0))
            {
                throw new WrongResultException(
                    $"{size}^3 {dtype.Name()}: sharded [{string.Join(", ", global)}], deviations " +
                    $"[{string.Join(", ", check)}]; whole [{string.Join(", ", expected)}]");
            }
        }
        return "sizes 7, 20 and 33";
    }

    private static double[] Flat(List<(string Name, double[] Values)> parameters) =>
        [.. parameters.SelectMany(p => p.Values)];

    /// <summary>The largest difference, relative to the largest magnitude of <paramref name="expected"/>.</summary>
    private static double Distance(double[] actual, double[] expected)
    {
        if (actual.Length != expected.Length)
            throw new WrongResultException($"{actual.Length} parameters, expected {expected.Length}");
        double scale = expected.Max(Math.Abs);
        return actual.Zip(expected).Max(p => Math.Abs(p.First - p.Second)) / scale;
    }

    /// <summary>Throws unless every rank holds <paramref name="values"/> bit for bit.</summary>
    private static void SameOnEveryRank(Collectives c, string what, double[] values)
    {
        using var mine = c.Device.FromArray(values, 1, values.Length);
        var all = c.AllGather(mine).ToArray<double>();
        for (int r = 0; r < c.Size; r++)
        {
            if (!all.AsSpan(r * values.Length, values.Length).SequenceEqual(values))
                throw new WrongResultException($"{what} differ between rank {c.Rank} and rank {r}");
        }
    }

    /// <summary>Three linear layers made at once (float64, 2 inputs): a used, b used where asked, c never.</summary>
    private sealed class Branches(Device device, bool useB) : Layer
    {
        public Linear A { get; } = new(3, inSize: 2, dtype: DType.Float64, device: device);

        public Linear B { get; } = new(3, inSize: 2, dtype: DType.Float64, device: device);

        public Linear C { get; } = new(3, inSize: 2, dtype: DType.Float64, device: device);

        protected override Variable Forward(Variable[] inputs) =>
            useB ? A.Call(inputs[0]) + B.Call(inputs[0]) : A.Call(inputs[0]);
    }
}
