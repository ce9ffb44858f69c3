using System.Diagnostics;

namespace AutoDiff.Gpu.Experiments;

/// <summary>What the <c>sine</c> command was asked to do.</summary>
internal sealed record SineOptions
{
    /// <summary>Training iterations (timed).</summary>
    public int Iterations { get; init; } = SineModel.BookIterations;

    /// <summary>The loss is shown every this many iterations (and for the last one).</summary>
    public int Every { get; init; } = 1000;

    /// <summary>Untimed iterations on a copy of the model first (kernels compiled, JIT warm).</summary>
    public int Warmup { get; init; } = 20;

    /// <summary>float64 by default, as the book and the NumPy baseline.</summary>
    public DType DType { get; init; } = DType.Float64;

    /// <summary>A device identifier, or null for the best device.</summary>
    public string? Device { get; init; }

    public double LearningRate { get; init; } = SineModel.DefaultLearningRate;

    public OutputFormat Format { get; init; } = OutputFormat.Table;

    /// <summary>Where to write the SVG chart of the loss curve, or null.</summary>
    public string? SvgPath { get; init; }

    public bool Quiet { get; init; }
}

/// <summary>The loss after a given number of iterations, and NumPy's for the same iteration where known.</summary>
/// <param name="Iteration">0-based iteration whose forward pass gave the loss.</param>
/// <param name="Loss">The loss.</param>
/// <param name="Reference">NumPy's float64 loss at that iteration (same data, same loop), or null.</param>
internal sealed record SinePoint(int Iteration, double Loss, double? Reference);

/// <summary>A training run of the <c>sine</c> command.</summary>
internal sealed record SineResult(string DeviceId, string DeviceName, string MatMul, SineOptions Options, IReadOnlyList<SinePoint> Shown, IReadOnlyList<SinePoint> Curve, double Seconds)
{
    public double MicrosecondsPerIteration => Seconds * 1e6 / Options.Iterations;

    public double FinalLoss => Shown[^1].Loss;

    /// <summary>
    /// Whether the run learned as it should: in float64 with the book's learning rate, every loss within
    /// <see cref="SineModel.Float64Tolerance"/> (relative) of NumPy's; after the book's 10,000 iterations, a final loss below
    /// <see cref="SineModel.Threshold"/>; in any case a finite loss.
    /// </summary>
    public (bool Passed, string Check) Verdict()
    {
        if (Curve.Any(p => !double.IsFinite(p.Loss)))
            return (false, "the loss is not finite");
        bool reference = Options.DType == DType.Float64 && Options.LearningRate == SineModel.DefaultLearningRate;
        if (reference && Curve.Where(p => p.Reference is not null).MaxBy(p => Math.Abs(p.Loss - p.Reference!.Value) / p.Reference!.Value) is { } worst
            && Math.Abs(worst.Loss - worst.Reference!.Value) > SineModel.Float64Tolerance * worst.Reference.Value)
        {
            return (false, Units.Invariant($"loss {worst.Loss:R} at iteration {worst.Iteration}, NumPy's {worst.Reference:R}"));
        }
        if (Options.Iterations >= SineModel.BookIterations && FinalLoss >= SineModel.Threshold)
            return (false, Units.Invariant($"final loss {FinalLoss:F6} is not below {SineModel.Threshold}"));
        return (true, reference ? "ok (NumPy's losses)" : "ok");
    }
}

/// <summary>Runs the step-43 training loop (<see cref="SineModel"/>) and records its loss curve and time.</summary>
internal static class SineExperiment
{
    /// <summary>Points of the loss curve kept for the chart (besides the shown ones).</summary>
    private const int ChartPoints = 200;

    public static SineResult Run(Device device, SineOptions options, Progress progress)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        string matMul = device.MatMulImplementation.ToString();

        if (options.Warmup > 0)
        {
            progress.Say($"warm-up: {options.Warmup} iterations on a copy of the model");
            var copy = new SineModel(device, options.DType, options.LearningRate);
            for (int i = 0; i < options.Warmup; i++)
                copy.Step();
            device.Synchronize();
        }

        progress.Say($"training: {options.Iterations:N0} iterations");
        var model = new SineModel(device, options.DType, options.LearningRate);
        int iterations = options.Iterations;
        int chartEvery = Math.Max(1, iterations / ChartPoints);
        // The losses stay on the device until the end: reading one would wait for the device mid-loop.
        // NumPy's losses are of the book's learning rate: with another, there is nothing to compare with.
        var references = options.LearningRate == SineModel.DefaultLearningRate
            ? SineData.ReferenceIterations.Zip(SineData.ReferenceLosses).ToDictionary(p => p.First, p => p.Second)
            : [];
        var kept = new List<(int Iteration, Tensor Loss)>();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            var loss = model.Step();
            if (i % options.Every == 0 || i % chartEvery == 0 || i == iterations - 1 || references.ContainsKey(i))
                kept.Add((i, loss.Data));
        }
        device.Synchronize();
        watch.Stop();

        var curve = kept.Select(k => new SinePoint(k.Iteration, k.Loss.Item(), references.TryGetValue(k.Iteration, out double r) ? r : null)).ToList();
        var shown = curve.Where(p => p.Iteration % options.Every == 0 || p.Iteration == iterations - 1).ToList();
        return new SineResult(device.Id, device.Name, matMul, options, shown, curve, watch.Elapsed.TotalSeconds);
    }
}
