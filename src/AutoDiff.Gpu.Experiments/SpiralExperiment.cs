using System.CommandLine;
using System.Diagnostics;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The book's step 48 timed: the spiral classifier (<see cref="SpiralTraining"/>, batches of 30, SGD with rate 1)
/// trained epoch by epoch as the book writes it, with no scope and no Dispose. Warm-up epochs run first on a copy of
/// the model, so the timed run starts from the same weights whatever the warm-up. Prints the time per epoch (median,
/// mean, fastest), kernel launches and managed bytes allocated per epoch, and the mean loss of the last epoch.
/// </summary>
internal static class SpiralExperiment
{
    /// <summary>The book's number of epochs.</summary>
    private const int BookEpochs = 300;

    private const int Seed = 1;

    /// <summary>
    /// Untimed training first: the JIT's optimized tier reaches the epoch's few thousand methods after about two
    /// seconds of it (half a second left epochs at twice their steady time).
    /// </summary>
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(2);

    /// <summary>The command: <c>AutoDiff.Gpu.Experiments spiral</c>.</summary>
    public static Command Command()
    {
        var epochs = RankOptions.Count("--epochs", $"Timed epochs (default {BookEpochs}, the book's).");
        var warmup = CommandLine.Value("--warmup", "N", t => (int)Options.ParseCount("--warmup", t, 0, int.MaxValue),
            $"Least untimed epochs first, on a copy of the model (default 30); "
            + $"more run for {WarmupTime.TotalSeconds:0.#} s.");
        var batch = RankOptions.Count("--batch", "Rows per batch (default 30, the book's).", 300);
        var dtype = RankOptions.DTypeOption();
        var device = CommandLine.Value("--device", "D", Options.ParseDevice, "The device; default: the best.");
        const string About = "The book's step 48: the spiral MLP trained epoch by epoch; prints the time per epoch.";
        var command = new Command("spiral", About) { epochs, warmup, batch, dtype, device };
        command.SetAction(r =>
        {
            string? id = CommandLine.Get<string?>(r, device!, null);
            using var opened = id is null ? Device.Best() : Device.Open(id);
            return Run(
                opened,
                CommandLine.Get(r, epochs, BookEpochs),
                CommandLine.Get(r, warmup, 30),
                CommandLine.Get(r, batch, 30),
                CommandLine.Get(r, dtype, DType.Float32));
        });
        return command;
    }

    private static int Run(Device device, int epochs, int warmup, int batch, DType dtype)
    {
        var copy = new SpiralTraining(device, null, batch, dtype, Seed);
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < warmup || warm.Elapsed < WarmupTime; i++)
            copy.Epoch();

        var training = new SpiralTraining(device, null, batch, dtype, Seed);
        var times = new double[epochs];
        double loss = double.NaN;
        long launches = device.KernelLaunches, bytes = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < epochs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            loss = training.Epoch();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        launches = device.KernelLaunches - launches;
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;

        Console.Write(Units.Invariant($"DeZero step 48: spiral MLP (2 -> 10 -> 3, sigmoid), batches of {batch}, "));
        Console.WriteLine(Units.Invariant($"SGD lr 1; {dtype.Name()} on {device.Id} ({device.Name})"));
        Console.WriteLine(Units.Invariant(
            $"{warm.Elapsed.TotalSeconds:F1} s of warm-up epochs on a copy of the model, then {epochs:N0} timed"));
        string median = Units.Duration(RankFigures.Median(times)), mean = Units.Duration(times.Average());
        string fastest = Units.Duration(times.Min());
        Console.WriteLine(Units.Invariant($"per epoch: median {median}, mean {mean}, fastest {fastest}"));
        Console.Write(Units.Invariant($"per epoch: {launches / (double)epochs:F1} kernel launches, "));
        Console.WriteLine(Units.Invariant($"{Units.Bytes(bytes / epochs)} allocated (managed, this thread)"));
        Console.WriteLine(Units.Invariant($"final loss {loss:F6}"));
        return double.IsFinite(loss) ? 0 : Program.WrongResult;
    }
}
