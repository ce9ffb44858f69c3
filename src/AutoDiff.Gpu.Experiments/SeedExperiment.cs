using System.Diagnostics;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

/// <summary>The measurements of one mode.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="MedianMicroseconds">Median wall time of one iteration, synchronized.</param>
/// <param name="MinMicroseconds">Fastest iteration.</param>
/// <param name="PeakAllocatedBytes">Most bytes held by tensors at once, over the mode's iterations.</param>
/// <param name="ReservedBytes">Bytes the pool reserved from the device for this mode (its cache was emptied first).</param>
/// <param name="BufferBytes">The pool block of one tensor of the input's shape.</param>
/// <param name="Check">What the check found: <c>ok</c>, a skip reason, or the first wrong value.</param>
/// <param name="Passed">False when a result was wrong.</param>
/// <param name="Samples">Allocated bytes over one recorded iteration, when recording was asked for.</param>
/// <param name="RecordedMicroseconds">Length of the recorded iteration.</param>
internal sealed record ModeResult(
    Mode Mode,
    double MedianMicroseconds,
    double MinMicroseconds,
    long PeakAllocatedBytes,
    long ReservedBytes,
    long BufferBytes,
    string Check,
    bool Passed,
    IReadOnlyList<(double Microseconds, long Bytes)>? Samples,
    double RecordedMicroseconds)
{
    /// <summary>The peak in units of one tensor's pool block.</summary>
    public double PeakBuffers => (double)PeakAllocatedBytes / BufferBytes;
}

/// <summary>
/// The seed's mode-switch experiment (DeZero step 18): <c>y = Square(Square(Square(x)))</c> with <c>x</c> a
/// tensor of ones, with backprop and <c>Backward()</c>, with <c>Backward(retainGrad: true)</c>, and forward
/// only under <c>Config.NoGrad()</c>.
/// </summary>
internal sealed class SeedExperiment(Device device, Shape shape, DType dtype, Progress progress)
{
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
    /// Runs one mode: empties the pool's cache and resets the peak, checks one iteration, runs
    /// <paramref name="warmup"/> untimed and <paramref name="reps"/> timed iterations, and when asked records
    /// the allocated bytes over one more.
    /// </summary>
    public ModeResult Run(Mode mode, int warmup, int reps, bool record)
    {
        var memory = Device.Memory;
        memory.EmptyCache();
        memory.ResetPeak();
        string name = Options.ModeName(mode);
        progress.Begin(name, Shape.Length);

        progress.Report("checking the result", announce: true);
        string? failure = null;
        bool skipped = false;
        Iterate(mode, (x, y) => failure = Check(mode, x, y, ref skipped));
        // The check's host copies are garbage now: collect them here rather than during the timed iterations.
        GC.Collect();
        GC.WaitForPendingFinalizers();

        for (int i = 0; i < warmup; i++)
        {
            progress.Report($"warm-up {i + 1}/{warmup}");
            Iterate(mode, null);
        }

        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            progress.Report($"{i}/{reps}");
            long start = Stopwatch.GetTimestamp();
            Iterate(mode, null);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        var stats = memory.Snapshot();

        IReadOnlyList<(double, long)>? samples = null;
        double recorded = 0;
        if (record)
        {
            progress.Report("recording memory", announce: true);
            // The recorder's own code is compiled during the first recorded iteration: record one and drop it,
            // so that compile time does not show in the chart.
            using (memory.StartRecording())
                Iterate(mode, null);
            using var recording = memory.StartRecording();
            long start = Stopwatch.GetTimestamp();
            Iterate(mode, null);
            recorded = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            samples = [.. recording.Samples];
        }
        progress.End("done");

        Array.Sort(times);
        double median = reps % 2 == 1 ? times[reps / 2] : (times[(reps / 2) - 1] + times[reps / 2]) / 2;
        string check = failure ?? (skipped ? "skipped: too large to read back" : "ok");
        return new ModeResult(mode, median, times[0], stats.PeakAllocatedBytes, stats.ReservedBytes, BufferBytes, check, failure is null, samples, recorded);
    }

    /// <summary>
    /// One iteration: fill x with ones, run the mode, let <paramref name="inspect"/> look at x and y, release
    /// everything the iteration made, and wait for the device.
    /// </summary>
    private void Iterate(Mode mode, Action<Variable, Variable>? inspect)
    {
        using (TensorScope.Begin())
        {
            var x = new Variable(Device.Ones(Shape, DType), "x");
            Variable y;
            if (mode == Mode.NoGrad)
            {
                using (Config.NoGrad())
                    y = Square(Square(Square(x)));
            }
            else
            {
                using (Config.UsingConfig(Config.EnableBackpropName, true))
                {
                    y = Square(Square(Square(x)));
                    y.Backward(retainGrad: mode == Mode.Retain);
                }
            }
            inspect?.Invoke(x, y);
        }
        Device.Synchronize();
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

/// <summary>
/// Progress lines on standard error for runs long enough to need them: at most one a second, and for large
/// inputs also each slow step as it starts.
/// </summary>
internal sealed class Progress(bool enabled)
{
    /// <summary>From this many elements on, a slow step (reading results back, recording) is announced as it starts.</summary>
    private const long LargeElements = 1L << 26;

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private string mode = string.Empty;
    private long last;
    private bool printed;
    private bool large;

    /// <summary>Starts a mode.</summary>
    public void Begin(string modeName, long elements)
    {
        mode = modeName;
        printed = false;
        large = elements >= LargeElements;
        last = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Reports what the mode does now: printed when the last line is a second old, or at once when
    /// <paramref name="announce"/> is set and the input is large.
    /// </summary>
    public void Report(string step, bool announce = false)
    {
        if (enabled && ((announce && large) || Stopwatch.GetElapsedTime(last) >= Interval))
            Print(step);
    }

    /// <summary>Ends a mode; prints <paramref name="step"/> if anything was printed for it.</summary>
    public void End(string step)
    {
        if (enabled && printed)
            Print(step);
    }

    private void Print(string step)
    {
        Console.Error.WriteLine($"running {mode}: {step}");
        printed = true;
        last = Stopwatch.GetTimestamp();
    }
}
