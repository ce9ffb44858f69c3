using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The <c>sharded-seed</c> command: <see cref="ShardedSeed"/> over the ranks of an <c>mpiexec</c> job. Rank 0 prints
/// the global results, the check (y = 1 and x.grad = 8 everywhere, from each shard's squared deviations), and per rank
/// its rows, its median time per iteration and its peak of device memory. Without a launcher it is unsharded.
/// </summary>
internal sealed class ShardedSeedExperiment(Collectives ranks, int size, DType dtype)
{
    private readonly ShardedSeed seed = new(ranks, ranks.Device, size, dtype);

    /// <summary>The command: <c>mpiexec -n 4 AutoDiff.Gpu.Experiments sharded-seed --size 400</c>.</summary>
    public static Command Command()
    {
        string sizeHelp = $"N x N x N elements, split along the first axis (default {Options.DefaultSize}).";
        var size = RankOptions.Count("--size", sizeHelp, 1 << 20);
        var dtype = RankOptions.DTypeOption();
        var device = RankOptions.DeviceOption();
        var reps = RankOptions.Count("--reps", $"Timed iterations (default {Options.DefaultReps}).");
        var format = CommandLine.Value("--format", "F", Options.ParseFormat, "table (default) or json.");
        var command = new Command("sharded-seed", "The seed's experiment on an array split across the ranks.")
        {
            size, dtype, device, reps, format,
        };
        command.SetAction(r =>
        {
            using var ranks = RankFigures.Join(r.GetValue(device));
            int n = CommandLine.Get(r, size, Options.DefaultSize);
            var experiment = new ShardedSeedExperiment(ranks, n, CommandLine.Get(r, dtype, DType.Float32));
            return experiment.Run(CommandLine.Get(r, reps, Options.DefaultReps), r.GetValue(format));
        });
        return command;
    }

    /// <summary>Runs the check, then <paramref name="reps"/> timed iterations; rank 0 reports. Exit status 0 or 1.
    /// </summary>
    public int Run(int reps, OutputFormat format)
    {
        var device = ranks.Device;
        var (global, check) = seed.Iterate(check: true);
        double median = RankFigures.Median(RankFigures.Microseconds(device, 3, reps, () => seed.Iterate(check: false)));
        device.Memory.Collect();
        device.Memory.ResetPeak();
        seed.Iterate(check: false);
        var rows = RankFigures.Gather(ranks, [seed.Shard.Rows, median, device.Memory.PeakAllocatedBytes]);
        bool passed = global[0] == (double)size * size * size && check[0] == 0 && check[1] == 0;
        if (ranks.IsRoot)
            Write(format, global, passed, rows);
        return passed ? 0 : Program.WrongResult;
    }

    private void Write(OutputFormat format, double[] global, bool passed, double[][] rows)
    {
        string check = passed ? "ok" : "wrong: y is not 1 or x.grad not 8 everywhere, or rows are missing";
        if (format == OutputFormat.Json)
        {
            var options = new JsonWriterOptions { Indented = true };
            using var json = new Utf8JsonWriter(Console.OpenStandardOutput(), options);
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
        string where = $"{ranks.Size} rank(s), {ranks.Backend}, on {ranks.Device.Id}";
        string array = string.Create(c, $"{global[0]:N0} elements ({size}^3 {dtype.Name()})");
        Console.WriteLine(string.Create(c, $"sharded seed: {array} over {where}"));
        Console.WriteLine(string.Create(c, $"sum y = {global[1]:R}, sum x.grad = {global[2]:R}, check: {check}"));
        Console.WriteLine("rank  rows  median/iter  peak device memory");
        for (int r = 0; r < rows.Length; r++)
        {
            string time = Units.Duration(rows[r][1]);
            Console.WriteLine(string.Create(c, $"{r,4}  {rows[r][0],4}  {time,11}  {Units.Bytes((long)rows[r][2])}"));
        }
    }
}
