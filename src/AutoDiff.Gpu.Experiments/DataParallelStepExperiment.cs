using System.CommandLine;
using System.Globalization;
using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// What data parallelism costs per step: the spiral classifier's training step (<see cref="SpiralTraining"/>) on B/ranks
/// rows by each rank alone, then the data-parallel step on batches of B rows over the ranks (B/ranks rows each,
/// gradients averaged). Both phases run on every rank at once, so they share the machine alike. Rank 0 prints each
/// rank's median step in both and their ratio, the overhead of the broadcast-free steady state.
/// </summary>
internal static class DataParallelStepExperiment
{
    /// <summary>The command: <c>mpiexec -n 2 AutoDiff.Gpu.Experiments data-parallel-step</c>.</summary>
    public static Command Command()
    {
        var batch = CommandLine.Value("--batch", "B", t => (int)Options.ParseCount("--batch", t, 1, 300), "Rows per data-parallel step over all ranks (default 30, the book's); each rank's alone step takes B/ranks.");
        var steps = CommandLine.Value("--steps", "N", t => (int)Options.ParseCount("--steps", t, 1, int.MaxValue), "Timed steps per phase (default 200).");
        var dtype = CommandLine.Value("--dtype", "T", Options.ParseDType, "float32 (default) or float64.");
        var device = CommandLine.Value("--device", "D", Options.ParseDevice, "The device of every rank; default: the collectives' choice.");
        var command = new Command("data-parallel-step", "One data-parallel training step of the spiral classifier against one rank's step on its share of the batch, under mpiexec.")
        {
            batch, steps, dtype, device,
        };
        command.SetAction(r =>
        {
            using var ranks = RankFigures.Join(r.GetValue(device));
            int b = r.GetResult(batch) is { Implicit: false } ? r.GetValue(batch) : 30;
            int n = r.GetResult(steps) is { Implicit: false } ? r.GetValue(steps) : 200;
            return Run(ranks, b, n, r.GetResult(dtype) is { Implicit: false } ? r.GetValue(dtype) : DType.Float32);
        });
        return command;
    }

    private static int Run(Collectives ranks, int batch, int steps, DType dtype)
    {
        if (batch % ranks.Size != 0)
            throw new ExperimentException($"--batch {batch} does not split over {ranks.Size} ranks: give a multiple of {ranks.Size}");
        var device = ranks.Device;
        var alone = new SpiralTraining(device, null, batch / ranks.Size, dtype, seed: 1);
        double aloneMicroseconds = RankFigures.MedianMicroseconds(device, 20, steps, alone.Step);
        var together = new SpiralTraining(device, ranks, batch, dtype, seed: 1);
        double togetherMicroseconds = RankFigures.MedianMicroseconds(device, 20, steps, together.Step);
        var rows = RankFigures.Gather(ranks, [aloneMicroseconds, togetherMicroseconds]);
        if (ranks.IsRoot)
        {
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"spiral MLP, batch {batch} over {ranks.Size} rank(s) ({ranks.Backend}, {device.Id}, {dtype.Name()}), median of {steps} steps"));
            Console.WriteLine(string.Create(c, $"rank  alone on {batch / ranks.Size} rows  data-parallel on {batch}  ratio"));
            for (int r = 0; r < rows.Length; r++)
                Console.WriteLine(string.Create(c, $"{r,4}  {Units.Duration(rows[r][0]),17}  {Units.Duration(rows[r][1]),21}  {rows[r][1] / rows[r][0],5:F2}"));
        }
        return 0;
    }
}
