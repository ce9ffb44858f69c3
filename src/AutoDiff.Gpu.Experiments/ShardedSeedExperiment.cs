using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AutoDiff.Gpu.Distributed;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The seed's experiment (<c>y = Square(Square(Square(x)))</c>, x ones, then <c>y.Backward()</c>) on an array of
/// N × N × N elements split along its first axis across the ranks of an <c>mpiexec</c> job: each rank makes and
/// differentiates its own rows only, so the array may be larger than one device. Each iteration ends with the global
/// results, Σy and Σ x.grad, summed over the ranks by one all-reduce. Rank 0 prints them, the check (y = 1 and
/// x.grad = 8 everywhere, found by all-reducing each shard's squared deviations), and per rank its rows, its median
/// time per iteration and its peak of device memory. Without a launcher it is the unsharded experiment.
/// </summary>
internal sealed class ShardedSeedExperiment(Collectives ranks, int size, DType dtype)
{
    /// <summary>The command: <c>mpiexec -n 4 AutoDiff.Gpu.Experiments sharded-seed --size 400</c>.</summary>
    public static Command Command()
    {
        var size = CommandLine.Value("--size", "N", t => (int)Options.ParseCount("--size", t, 1, 1 << 20), $"The global array has N x N x N elements, split along its first axis (default {Options.DefaultSize}).");
        var dtype = CommandLine.Value("--dtype", "T", Options.ParseDType, "float32 (default) or float64.");
        var device = CommandLine.Value("--device", "D", Options.ParseDevice, "The device of every rank; default: the collectives' choice (the local rank's GPU, else the best device).");
        var reps = CommandLine.Value("--reps", "N", t => (int)Options.ParseCount("--reps", t, 1, int.MaxValue), $"Timed iterations (default {Options.DefaultReps}).");
        var format = CommandLine.Value("--format", "F", Options.ParseFormat, "table (default) or json.");
        var command = new Command("sharded-seed", "The seed's experiment on an array split across the ranks of an mpiexec job: global sums by all-reduce, time and device memory per rank.")
        {
            size, dtype, device, reps, format,
        };
        command.SetAction(r =>
        {
            using var ranks = RankFigures.Join(r.GetValue(device));
            var experiment = new ShardedSeedExperiment(ranks, r.GetResult(size) is { Implicit: false } ? r.GetValue(size) : Options.DefaultSize, r.GetResult(dtype) is { Implicit: false } ? r.GetValue(dtype) : DType.Float32);
            return experiment.Run(r.GetResult(reps) is { Implicit: false } ? r.GetValue(reps) : Options.DefaultReps, r.GetValue(format));
        });
        return command;
    }

    /// <summary>This rank's rows of the first axis: an equal share, the first N mod ranks ranks one more.</summary>
    public (int Start, int Rows) Shard
    {
        get
        {
            int share = size / ranks.Size, extra = size % ranks.Size;
            return ((ranks.Rank * share) + Math.Min(ranks.Rank, extra), share + (ranks.Rank < extra ? 1 : 0));
        }
    }

    /// <summary>Runs the check, then <paramref name="reps"/> timed iterations; rank 0 reports. Exit status 0 or 1.</summary>
    public int Run(int reps, OutputFormat format)
    {
        var device = ranks.Device;
        var (global, check) = Iterate(check: true);
        double median = RankFigures.MedianMicroseconds(device, 3, reps, () => Iterate(check: false));
        device.Memory.Collect();
        device.Memory.ResetPeak();
        Iterate(check: false);
        var rows = RankFigures.Gather(ranks, [Shard.Rows, median, device.Memory.PeakAllocatedBytes]);
        bool passed = global[0] == (double)size * size * size && check[0] == 0 && check[1] == 0;
        if (ranks.IsRoot)
            Write(format, global, passed, rows);
        return passed ? 0 : Program.WrongResult;
    }

    /// <summary>
    /// One iteration on this rank's shard; returns the global element count, Σy and Σ x.grad, and with
    /// <paramref name="check"/> the global Σ(y − 1)² and Σ(x.grad − 8)² (else empty).
    /// </summary>
    private (double[] Global, double[] Check) Iterate(bool check)
    {
        using var scope = TensorScope.Begin();
        var x = new Variable(ranks.Device.Ones(new Shape(Shard.Rows, size, size), dtype));
        var y = Square(Square(Square(x)));
        y.Backward();
        var g = x.Grad!;
        using (Config.NoGrad())
        {
            var global = RankFigures.Sum(ranks, [x.Size, Sum(y).Item(), Sum(g).Item()]);
            if (!check)
                return (global, []);
            double deviationY = Sum(Square(y - 1.0)).Item(), deviationG = Sum(Square(g - 8.0)).Item();
            return (global, RankFigures.Sum(ranks, [deviationY, deviationG]));
        }
    }

    private void Write(OutputFormat format, double[] global, bool passed, double[][] rows)
    {
        string check = passed ? "ok" : "wrong: y is not 1 or x.grad not 8 everywhere, or elements are missing";
        if (format == OutputFormat.Json)
        {
            using var json = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteNumber("ranks", ranks.Size);
            json.WriteString("backend", ranks.Backend);
            json.WriteString("dtype", dtype.Name());
            json.WriteNumber("elements", global[0]);
            json.WriteNumber("sumY", global[1]);
            json.WriteNumber("sumGrad", global[2]);
            json.WriteString("check", check);
            json.WriteStartArray("perRank");
            foreach (var row in rows)
            {
                json.WriteStartObject();
                json.WriteNumber("rows", row[0]);
                json.WriteNumber("medianMicroseconds", row[1]);
                json.WriteNumber("peakBytes", row[2]);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            Console.WriteLine();
            return;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"sharded seed: {global[0]:N0} elements ({size}^3 {dtype.Name()}) over {ranks.Size} rank(s), {ranks.Backend}, on {ranks.Device.Id}"));
        Console.WriteLine(string.Create(c, $"sum y = {global[1]:R}, sum x.grad = {global[2]:R}, check: {check}"));
        Console.WriteLine("rank  rows  median/iter  peak device memory");
        for (int r = 0; r < rows.Length; r++)
            Console.WriteLine(string.Create(c, $"{r,4}  {rows[r][0],4}  {Units.Duration(rows[r][1]),11}  {Units.Bytes((long)rows[r][2])}"));
    }
}
