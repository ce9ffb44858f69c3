using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

/// <summary>The measurements of one row: a mode in a lifetime.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="Lifetime">How the iterations' tensors ended.</param>
/// <param name="MedianMicroseconds">Median wall time of one iteration, synchronized.</param>
/// <param name="MeanMicroseconds">Mean wall time of one iteration: collections every N iterations show here.</param>
/// <param name="MinMicroseconds">Fastest iteration.</param>
/// <param name="PeakAllocatedBytes">Most bytes held by tensors at once during one iteration run after a full collection.</param>
/// <param name="ReservedBytes">Bytes the pool reserved from the device after the timed iterations (its cache was emptied before the row).</param>
/// <param name="BufferBytes">The pool block of one tensor of the input's shape.</param>
/// <param name="WarmupIterations">Untimed iterations run before the timed ones.</param>
/// <param name="WarmupCapped">True when the warm-up stopped at its limit while the pool still grew.</param>
/// <param name="EphemeralCollections">Generation-1 collections the pool started during the timed iterations.</param>
/// <param name="FullCollections">Full collections the pool started during the timed iterations.</param>
/// <param name="Check">What the check found: <c>ok</c>, a skip reason, or the first wrong value.</param>
/// <param name="Passed">False when a result was wrong.</param>
/// <param name="Samples">Allocated bytes over one recorded iteration, when recording was asked for.</param>
/// <param name="RecordedMicroseconds">Length of the recorded iteration.</param>
/// <param name="FirstMicroseconds">The row's first iteration, checked: compilation and first touches included.</param>
/// <param name="Compiled">Kernels and expression shapes compiled during the timed iterations (0 when steady).</param>
/// <param name="GcPauseMicroseconds">Garbage collection pauses (anyone's) during the timed iterations, per iteration.</param>
internal sealed record ModeResult(
    Mode Mode,
    Lifetime Lifetime,
    bool Fused,
    double LaunchesPerIteration,
    double MedianMicroseconds,
    double MeanMicroseconds,
    double MinMicroseconds,
    long PeakAllocatedBytes,
    long ReservedBytes,
    long BufferBytes,
    int WarmupIterations,
    bool WarmupCapped,
    long EphemeralCollections,
    long FullCollections,
    string Check,
    bool Passed,
    IReadOnlyList<(double Microseconds, long Bytes)>? Samples,
    double RecordedMicroseconds,
    double FirstMicroseconds,
    long Compiled,
    double GcPauseMicroseconds)
{
    /// <summary>The peak in units of one tensor's pool block.</summary>
    public double PeakBuffers => (double)PeakAllocatedBytes / BufferBytes;

    /// <summary><c>backward/natural/fused</c>.</summary>
    public string Label => $"{Options.ModeName(Mode)}/{Options.LifetimeName(Lifetime)}/{(Fused ? "fused" : "eager")}";
}

/// <summary>
/// The seed's mode-switch experiment (DeZero step 18): <c>y = Square(Square(Square(x)))</c> with <c>x</c> a
/// tensor of ones, with backprop and <c>Backward()</c>, with <c>Backward(retainGrad: true)</c>, and forward
/// only under <c>Config.NoGrad()</c>; each in a <see cref="Lifetime"/>: as the seed's code is written (no scope,
/// no Dispose), in a <see cref="TensorScope"/>, or disposing x and y.
/// </summary>
internal sealed class SeedExperiment(Device device, Shape shape, DType dtype, Progress progress)
{
    /// <summary>Managed bytes the peak iteration may allocate without a collection (it allocates a few kilobytes).</summary>
    private const long NoCollectionBytes = 16L << 20;

    /// <summary>The device it runs on.</summary>
    public Device Device { get; } = device;

    /// <summary>The input's shape.</summary>
    public Shape Shape { get; } = shape;

    /// <summary>The element type.</summary>
    public DType DType { get; } = dtype;

    /// <summary>The pool block one tensor of <see cref="Shape"/> takes.</summary>
    public long BufferBytes => DeviceMemory.RoundSize(Shape.Length * DType.Size());

    /// <summary>
    /// Tensors alive at the peak of one iteration: x, the three squares, and while backward runs the output's
    /// gradient and one more (backward), or all four gradients (retain).
    /// </summary>
    public static int BuffersNeeded(Mode mode) => mode switch
    {
        Mode.Backward => 6,
        Mode.Retain => 8,
        _ => 4,
    };

    /// <summary>
    /// Runs one row: collects garbage and empties the pool's cache, checks one iteration, warms up until the pool
    /// is at its steady state (at least <paramref name="warmup"/> iterations), times <paramref name="reps"/>
    /// iterations, then measures the peak on one iteration after a full collection (recording it when asked).
    /// </summary>
    public ModeResult Run(Mode mode, Lifetime lifetime, int warmup, int reps, bool record)
    {
        var memory = Device.Memory;
        memory.Collect();
        memory.EmptyCache();
        progress.Begin($"{Options.ModeName(mode)}/{Options.LifetimeName(lifetime)}", Shape.Length);

        progress.Report("checking the result", announce: true);
        string? failure = null;
        bool skipped = false;
        long first = Stopwatch.GetTimestamp();
        Iterate(mode, lifetime, (x, y) => failure = Check(mode, x, y, ref skipped));
        double firstMicroseconds = Stopwatch.GetElapsedTime(first).TotalMicroseconds;
        // The check's host copies are garbage now: collect them here rather than during the timed iterations.
        memory.Collect();

        var (warmed, capped) = WarmUp(mode, lifetime, warmup);

        var times = new double[reps];
        var before = memory.Snapshot();
        long launches = Device.KernelLaunches;
        long compilations = Device.Compilations;
        var paused = GC.GetTotalPauseDuration();
        for (int i = 0; i < reps; i++)
        {
            progress.Report($"{i}/{reps}");
            long start = Stopwatch.GetTimestamp();
            Iterate(mode, lifetime, null);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        var after = memory.Snapshot();
        double pause = (GC.GetTotalPauseDuration() - paused).TotalMicroseconds / reps;
        double launchesPerIteration = (double)(Device.KernelLaunches - launches) / reps;
        long compiled = Device.Compilations - compilations;

        progress.Report("measuring the peak", announce: true);
        var (peak, samples, recorded) = MeasurePeak(mode, lifetime, record);
        progress.End("done");

        double mean = times.Average();
        Array.Sort(times);
        double median = reps % 2 == 1 ? times[reps / 2] : (times[(reps / 2) - 1] + times[reps / 2]) / 2;
        string check = failure ?? (skipped ? "skipped: too large to read back" : "ok");
        return new ModeResult(
            mode, lifetime, Config.Fusion, launchesPerIteration, median, mean, times[0], peak, after.ReservedBytes, BufferBytes, warmed, capped,
            after.EphemeralCollections - before.EphemeralCollections, after.FullCollections - before.FullCollections,
            check, failure is null, samples, recorded, firstMicroseconds, compiled, pause);
    }

    /// <summary>
    /// Untimed iterations: at least <paramref name="least"/> and <see cref="CommandLine.MinWarmupTime"/> (tiered
    /// compilation finishes the loop's code meanwhile), and more while the pool still grows. Steady means
    /// the iteration made no device allocation and either left nothing to the GC or came after a garbage
    /// collection with no device allocation since: a natural loop's pool has then filled its garbage budget.
    /// Capped at <see cref="CommandLine.MaxWarmupIterations"/> or <see cref="CommandLine.MaxWarmupTime"/>.
    /// </summary>
    private (int Iterations, bool Capped) WarmUp(Mode mode, Lifetime lifetime, int least)
    {
        var memory = Device.Memory;
        long start = Stopwatch.GetTimestamp();
        bool collectedSinceDeviceAllocation = false;
        for (int i = 1; ; i++)
        {
            progress.Report($"warm-up {i}");
            var before = memory.Snapshot();
            int collections = GC.CollectionCount(0);
            Iterate(mode, lifetime, null);
            var after = memory.Snapshot();
            bool allocatedOnDevice = after.DeviceAllocations != before.DeviceAllocations;
            collectedSinceDeviceAllocation = !allocatedOnDevice && (collectedSinceDeviceAllocation || GC.CollectionCount(0) != collections);
            bool leftGarbage = after.AllocatedBytes > before.AllocatedBytes;
            bool steady = !allocatedOnDevice && (collectedSinceDeviceAllocation || !leftGarbage);
            if (i >= least && steady && Stopwatch.GetElapsedTime(start) >= CommandLine.MinWarmupTime)
                return (i, false);
            if (i >= CommandLine.MaxWarmupIterations || Stopwatch.GetElapsedTime(start) >= CommandLine.MaxWarmupTime)
                return (i, !steady);
        }
    }

    /// <summary>
    /// The peak of bytes held by tensors over one iteration that starts after a full collection (so nothing dead
    /// is counted) and runs without any (so nothing is reclaimed in the middle of it): the same in every lifetime.
    /// </summary>
    private (long Peak, IReadOnlyList<(double, long)>? Samples, double Microseconds) MeasurePeak(Mode mode, Lifetime lifetime, bool record)
    {
        var memory = Device.Memory;
        if (record)
        {
            // The recorder's own code is compiled during the first recorded iteration: record one and drop it,
            // so that compile time does not show in the chart.
            using (memory.StartRecording())
                Iterate(mode, lifetime, null);
        }
        memory.Collect();
        bool noCollection = TryStartNoCollection();
        try
        {
            memory.ResetPeak();
            if (!record)
            {
                Iterate(mode, lifetime, null);
                return (memory.PeakAllocatedBytes, null, 0);
            }
            using var recording = memory.StartRecording();
            long start = Stopwatch.GetTimestamp();
            Iterate(mode, lifetime, null);
            double microseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            recording.Dispose();
            return (memory.PeakAllocatedBytes, [.. recording.Samples], microseconds);
        }
        finally
        {
            // A collection the pool had to start (a cache miss) ends the region by itself.
            if (noCollection && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                GC.EndNoGCRegion();
        }
    }

    private static bool TryStartNoCollection()
    {
        try
        {
            return GC.TryStartNoGCRegion(NoCollectionBytes);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>
    /// One iteration: make x (ones), run the mode, let <paramref name="inspect"/> look at x and y, end the
    /// tensors as <paramref name="lifetime"/> says, and wait for the device.
    /// </summary>
    private void Iterate(Mode mode, Lifetime lifetime, Action<Variable, Variable>? inspect)
    {
        if (lifetime == Lifetime.Scoped)
        {
            using (TensorScope.Begin())
                Step(mode, inspect, dispose: false);
        }
        else
        {
            Step(mode, inspect, dispose: lifetime == Lifetime.Disposed);
        }
        Device.Synchronize();
    }

    /// <summary>The seed's code as written; with <paramref name="dispose"/> the user then disposes x and y.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Step(Mode mode, Action<Variable, Variable>? inspect, bool dispose)
    {
        var x = new Variable(Device.Ones(Shape, DType));
        Variable y;
        if (mode == Mode.NoGrad)
        {
            using (Config.NoGrad())
                y = Square(Square(Square(x)));
        }
        else
        {
            y = Square(Square(Square(x)));
            y.Backward(retainGrad: mode == Mode.Retain);
        }
        // The results a program would read next: with fusion, what is never read is never computed.
        y.Data.Realize();
        if (mode == Mode.Retain)
            RealizeGradients(y);
        else
            x.Grad?.Data.Realize();
        inspect?.Invoke(x, y);
        if (dispose)
        {
            x.Dispose();
            y.Dispose();
        }
    }

    /// <summary>Computes the gradient of every variable of y's graph that holds one.</summary>
    private static void RealizeGradients(Variable y)
    {
        for (var v = y; v is not null; v = v.Creator?.Inputs[0])
            v.Grad?.Data.Realize();
    }

    /// <summary>
    /// y = x⁸ = 1 everywhere; backward: x.Grad = 8x⁷ = 8 and no intermediate gradient is kept; retain: the kept
    /// gradients of y, b = x⁴ and a = x² are 1, 2 and 4; nograd: no graph and no gradient. Returns the first
    /// problem, or null.
    /// </summary>
    private static string? Check(Mode mode, Variable x, Variable y, ref bool skipped)
    {
        var problems = new List<string>();
        Expect(problems, "y", y.Data, 1, ref skipped);
        if (mode == Mode.NoGrad)
        {
            if (y.Creator is not null)
                problems.Add($"y has a creator ({y.Creator.Name}) under NoGrad");
            if (x.Grad is not null)
                problems.Add("x.Grad is set under NoGrad");
            return problems.FirstOrDefault();
        }

        Expect(problems, "x.Grad", x.Grad?.Data, 8, ref skipped);
        var b = FirstInput(y);
        var a = FirstInput(b);
        if (b is null || a is null || FirstInput(a) != x)
        {
            problems.Add("the graph is not y <- Square <- b <- Square <- a <- Square <- x");
            return problems.FirstOrDefault();
        }
        if (mode == Mode.Retain)
        {
            Expect(problems, "y.Grad", y.Grad?.Data, 1, ref skipped);
            Expect(problems, "b.Grad", b.Grad?.Data, 2, ref skipped);
            Expect(problems, "a.Grad", a.Grad?.Data, 4, ref skipped);
        }
        else
        {
            foreach (var (label, v) in new[] { ("y", y), ("b", b), ("a", a) })
            {
                if (v.Grad is not null)
                    problems.Add($"{label}.Grad is kept although Backward() was not asked to retain it");
            }
        }
        return problems.FirstOrDefault();
    }

    /// <summary>The first input of the function that created <paramref name="v"/>, or null.</summary>
    private static Variable? FirstInput(Variable? v) => v?.Creator is { Inputs.Count: > 0 } f ? f.Inputs[0] : null;

    private static void Expect(List<string> problems, string what, Tensor? t, double expected, ref bool skipped)
    {
        if (t is null)
        {
            problems.Add($"{what} is null, expected {expected} everywhere");
            return;
        }
        if (t.Length > Array.MaxLength)
        {
            skipped = true;
            return;
        }
        long bad;
        double found = 0;
        if (t.DType == DType.Float32)
        {
            var values = t.ToArray<float>();
            bad = values.AsSpan().IndexOfAnyExcept((float)expected);
            if (bad >= 0)
                found = values[bad];
        }
        else
        {
            var values = t.ToArray<double>();
            bad = values.AsSpan().IndexOfAnyExcept(expected);
            if (bad >= 0)
                found = values[bad];
        }
        if (bad >= 0)
            problems.Add(Units.Invariant($"{what}[{bad}] = {found}, expected {expected} everywhere"));
    }
}
