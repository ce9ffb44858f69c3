using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

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
    /// Runs one turn of a row: collects garbage and empties the pool's cache, checks one iteration (the row's first
    /// turn only), warms up until the pool is at its steady state (at least <paramref name="warmup"/> iterations),
    /// then times <paramref name="reps"/> iterations. Run it with <see cref="Config.Fusion"/> set as the row says.
    /// </summary>
    public void RunTurn(SeedRow row, int warmup, int reps)
    {
        var memory = Device.Memory;
        var (mode, lifetime) = (row.Mode, row.Lifetime);
        memory.Collect();
        memory.EmptyCache();
        progress.Begin(row.TurnLabel, Shape.Length);

        if (row.Turns == 0)
        {
            progress.Report("checking the result", announce: true);
            string? failure = null;
            bool skipped = false;
            long first = Stopwatch.GetTimestamp();
            Iterate(mode, lifetime, (x, y) => failure = Check(mode, x, y, ref skipped));
            row.Checked(failure, skipped, Stopwatch.GetElapsedTime(first).TotalMicroseconds);
            // The check's host copies are garbage now: collect them here rather than during the timed iterations.
            memory.Collect();
        }

        var (warmed, capped) = WarmUp(mode, lifetime, warmup);
        row.WarmedUp(warmed, capped);

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
        var pause = GC.GetTotalPauseDuration() - paused;
        row.AddTurn(times, before, after, Device.KernelLaunches - launches, Device.Compilations - compilations, pause);
    }

    /// <summary>
    /// Ends a row after its last turn: measures the peak on one iteration after a full collection (recording it
    /// when asked) and returns the row's result.
    /// </summary>
    public ModeResult Finish(SeedRow row, bool record)
    {
        progress.Report("measuring the peak", announce: true);
        var (peak, samples, recorded) = MeasurePeak(row.Mode, row.Lifetime, record);
        progress.End("done");
        return row.Result(peak, samples, recorded, BufferBytes);
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
