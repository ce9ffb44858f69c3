using System.CommandLine;
using System.Globalization;
using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// What data parallelism costs per step: the spiral classifier's training step (<see cref="SpiralTraining"/>) on
/// B/ranks rows by each rank alone, then the data-parallel step on batches of B rows over the ranks (B/ranks rows
/// each, gradients averaged). Both run on every rank at once, so they share the machine alike, and take turns in
/// rounds after a warm-up. Rank 0 prints each rank's median step in both, their ratio, and the slowest data-parallel
/// step over the slowest rank's step alone (every data-parallel step waits for the slowest rank).
/// </summary>
internal static class DataParallelStepExperiment
{
    private const int Warmup = 100;

    private const int Rounds = 4;

    /// <summary>The command: <c>mpiexec -n 2 AutoDiff.Gpu.Experiments data-parallel-step</c>.</summary>
    public static Command Command()
    {
        var batch = RankOptions.Count("--batch", "Rows per step over all ranks (default 30, the book's).", 300);
        var steps = RankOptions.Count("--steps", "Timed steps per phase (default 200).");
        var dtype = RankOptions.DTypeOption();
        var device = RankOptions.DeviceOption();
        const string About = "A data-parallel step of the spiral classifier beside one rank's step on its share.";
        var command = new Command("data-parallel-step", About)
        {
            batch, steps, dtype, device,
        };
        command.SetAction(r =>
        {
            using var ranks = RankFigures.Join(r.GetValue(device));
            var type = CommandLine.Get(r, dtype, DType.Float32);
            return Run(ranks, CommandLine.Get(r, batch, 30), CommandLine.Get(r, steps, 200), type);
        });
        return command;
    }

    private static int Run(Collectives ranks, int batch, int steps, DType dtype)
    {
        if (batch % ranks.Size != 0)
        {
            throw new ExperimentException(
                $"--batch {batch} does not split over {ranks.Size} ranks: give a multiple of {ranks.Size}");
        }
        var device = ranks.Device;
        int share = batch / ranks.Size;
        var alone = new SpiralTraining(device, null, share, dtype, seed: 1);
        var together = new SpiralTraining(device, ranks, batch, dtype, seed: 1);
        // Both warm first, then they take turns, so that neither runs on a warmer machine (JIT tiers, caches).
        List<double> aloneTimes = [], togetherTimes = [];
        for (int round = 0; round < Rounds; round++)
        {
            int warmup = round == 0 ? Warmup : 0, reps = (steps + Rounds - 1) / Rounds;
            aloneTimes.AddRange(RankFigures.Microseconds(device, warmup, reps, alone.Step));
            togetherTimes.AddRange(RankFigures.Microseconds(device, warmup, reps, together.Step));
        }
        var rows = RankFigures.Gather(ranks, [RankFigures.Median(aloneTimes), RankFigures.Median(togetherTimes)]);
        if (!ranks.IsRoot)
            return 0;
        var c = CultureInfo.InvariantCulture;
        string run = $"{ranks.Size} rank(s) ({ranks.Backend}, {device.Id}, {dtype.Name()}), median of {steps} steps";
        Console.WriteLine(string.Create(c, $"spiral MLP, batch {batch} over {run}"));
        Console.WriteLine(string.Create(c, $"rank  alone on {share} rows  data-parallel on {batch}  ratio"));
        for (int r = 0; r < rows.Length; r++)
        {
            string single = Units.Duration(rows[r][0]), parallel = Units.Duration(rows[r][1]);
            Console.WriteLine(string.Create(c, $"{r,4}  {single,17}  {parallel,21}  {rows[r][1] / rows[r][0],5:F2}"));
        }
        // A data-parallel step waits for the slowest rank: its step alone is the fair measure.
        double slowest = rows.Max(row => row[0]), step = rows.Max(row => row[1]);
        Console.WriteLine(string.Create(c, $"data-parallel step over the slowest rank's alone: {step / slowest:F2}"));
        return 0;
    }
}
