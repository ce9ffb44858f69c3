namespace AutoDiff.Gpu.Experiments;

/// <summary>One row of the seed experiment (a mode, fusion and lifetime), gathered over its turns.</summary>
internal sealed class SeedRow(Mode mode, Lifetime lifetime, bool fused, int rounds)
{
    private readonly List<double> times = [];
    private readonly List<double> roundMeans = [];
    private long launches;
    private long compiled;
    private long ephemeralCollections;
    private long fullCollections;
    private TimeSpan gcPause;
    private long reservedBytes;
    private int warmupIterations;
    private bool warmupCapped;

    public Mode Mode { get; } = mode;

    public Lifetime Lifetime { get; } = lifetime;

    /// <summary>Whether the row runs fused; its turns run with <see cref="Config.Fusion"/> set so.</summary>
    public bool Fused { get; } = fused;

    /// <summary>Turns run so far; the first one checks the result.</summary>
    public int Turns => roundMeans.Count;

    /// <summary>What the check found, or null when it passed (or has not run).</summary>
    public string? Failure { get; private set; }

    /// <summary>True when the check could not read a result back.</summary>
    public bool Skipped { get; private set; }

    /// <summary>The checked first iteration, compilation and first touches included.</summary>
    public double FirstMicroseconds { get; private set; }

    /// <summary>The progress label of the next turn: <c>backward/natural</c>, with its round if several.</summary>
    public string TurnLabel
    {
        get
        {
            string label = $"{Options.ModeName(Mode)}/{Options.LifetimeName(Lifetime)}";
            return rounds > 1 ? $"{label}/{Options.FusionName(Fused)}, round {Turns + 1}/{rounds}" : label;
        }
    }

    /// <summary>Records the check of the first turn.</summary>
    public void Checked(string? failure, bool skipped, double microseconds)
    {
        Failure = failure;
        Skipped = skipped;
        FirstMicroseconds = microseconds;
    }

    /// <summary>Adds a turn's warm-up.</summary>
    public void WarmedUp(int iterations, bool capped)
    {
        warmupIterations += iterations;
        warmupCapped |= capped;
    }

    /// <summary>Adds a turn's timed iterations and what the device and the pool counted during them.</summary>
    public void AddTurn(
        double[] turnTimes, MemoryStatistics before, MemoryStatistics after, long turnLaunches, long turnCompiled,
        TimeSpan pause)
    {
        times.AddRange(turnTimes);
        roundMeans.Add(turnTimes.Average());
        launches += turnLaunches;
        compiled += turnCompiled;
        ephemeralCollections += after.EphemeralCollections - before.EphemeralCollections;
        fullCollections += after.FullCollections - before.FullCollections;
        gcPause += pause;
        reservedBytes = after.ReservedBytes;
    }

    /// <summary>The row's result: its timed iterations pooled over the rounds, and its peak.</summary>
    public ModeResult Result(
        long peak, IReadOnlyList<(double, long)>? samples, double recordedMicroseconds, long bufferBytes)
    {
        var sorted = times.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        string check = Failure ?? (Skipped ? "skipped: too large to read back" : "ok");
        return new ModeResult(
            Mode, Lifetime, Fused, (double)launches / n, median, times.Average(), sorted[0], peak, reservedBytes,
            bufferBytes,
            warmupIterations, warmupCapped, ephemeralCollections, fullCollections, check, Failure is null, samples,
            recordedMicroseconds, FirstMicroseconds, compiled, gcPause.TotalMicroseconds / n, n, [.. roundMeans]);
    }
}
