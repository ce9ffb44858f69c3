using System.Globalization;
using AutoDiff.Gpu.Experiments;

namespace AutoDiff.Gpu.Tests;

/// <summary>The experiments program's <c>spiral</c> command, run as a child process as a user runs it.</summary>
public sealed class SpiralProgramTests
{
    [Fact]
    public void Spiral_times_epochs_and_ends_at_the_loss_of_the_same_training_here()
    {
        var run = ExperimentsProgram.Run(
            "spiral", "--epochs", "3", "--warmup", "0", "--dtype", "float64", "--device", "cpu");

        run.AssertSucceeded();
        // The command's training: seed 1, batches of 30; warm-up runs on a copy, so the timed run starts afresh.
        using var device = Device.Open("cpu");
        var training = new SpiralTraining(device, null, batchSize: 30, DType.Float64, seed: 1);
        double loss = 0;
        for (int epoch = 0; epoch < 3; epoch++)
            loss = training.Epoch();
        string expected = string.Create(CultureInfo.InvariantCulture, $"final loss {loss:F6}");
        Assert.Contains(expected, run.Output, StringComparison.Ordinal);
        Assert.Contains("then 3 timed", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"per epoch: median [0-9.]+ (µs|ms), mean", run.Output);
        Assert.Matches(@"per epoch: [0-9.]+ kernel launches, [0-9.]+ (B|KiB|MiB) allocated", run.Output);
    }
}
