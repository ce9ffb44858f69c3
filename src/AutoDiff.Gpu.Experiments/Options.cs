using System.Globalization;

namespace AutoDiff.Gpu.Experiments;

/// <summary>The three modes of the seed's mode-switch experiment.</summary>
internal enum Mode
{
    /// <summary>Backprop on, then <c>y.Backward()</c>: intermediate gradients are dropped as soon as they are used.</summary>
    Backward,

    /// <summary>Backprop on, then <c>y.Backward(retainGrad: true)</c>: every gradient is kept.</summary>
    Retain,

    /// <summary>Forward only under <c>Config.NoGrad()</c>: no graph is recorded.</summary>
    NoGrad,
}

/// <summary>How an iteration's tensors end.</summary>
internal enum Lifetime
{
    /// <summary>As the seed's code is written: no scope, no <c>Dispose</c>; the pool finds the dropped tensors after a garbage collection.</summary>
    Natural,

    /// <summary>Each iteration inside a <c>TensorScope</c>, which frees everything it made when it ends.</summary>
    Scoped,

    /// <summary>The user disposes <c>x</c> and <c>y</c> at the end of each iteration; the intermediates are left to the GC.</summary>
    Disposed,
}

/// <summary>How results are written to standard output.</summary>
internal enum OutputFormat
{
    /// <summary>An aligned text table for people.</summary>
    Table,

    /// <summary>Comma-separated values with a header line.</summary>
    Csv,

    /// <summary>One JSON document.</summary>
    Json,
}

/// <summary>A bad command-line value; the message is shown as <c>error: message</c>.</summary>
internal sealed class OptionsException(string message) : Exception(message);

/// <summary>What the experiment was asked to do, read from the command line by <see cref="CommandLine"/>.</summary>
internal sealed record Options
{
    /// <summary>The default edge of the cubic input, as in the seed: 100×100×100.</summary>
    public const int DefaultSize = 100;

    /// <summary>The default number of timed iterations per row.</summary>
    public const int DefaultReps = 100;

    /// <summary>The default number of rounds the timed iterations are split into.</summary>
    public const int DefaultRounds = 3;

    /// <summary>The default least number of untimed iterations per row.</summary>
    public const int DefaultWarmup = 3;

    /// <summary>The input's dimensions.</summary>
    public int[] Dimensions { get; init; } = [DefaultSize, DefaultSize, DefaultSize];

    public DType DType { get; init; } = DType.Float32;

    /// <summary>A device identifier for <see cref="Device.Open(string)"/>, or null for <see cref="Device.Best"/>.</summary>
    public string? Device { get; init; }

    public int Reps { get; init; } = DefaultReps;

    /// <summary>
    /// Rounds the timed iterations are split into: in each round every row, in order, warms up and times
    /// its share (<see cref="Reps"/> / rounds, at least 1). With 1, each row runs alone.
    /// </summary>
    public int Rounds { get; init; } = DefaultRounds;

    /// <summary>The least number of untimed iterations per turn (more run until the pool is steady).</summary>
    public int Warmup { get; init; } = DefaultWarmup;

    public IReadOnlyList<Mode> Modes { get; init; } = [Mode.Backward, Mode.Retain, Mode.NoGrad];

    public IReadOnlyList<Lifetime> Lifetimes { get; init; } = [Lifetime.Natural];

    /// <summary>
    /// Whether each row runs fused (true) or one kernel per function (false), in that order; by default as
    /// <see cref="Config.Fusion"/> is (off where <c>AUTODIFF_FUSION=0</c>).
    /// </summary>
    public IReadOnlyList<bool> Fusion { get; init; } = [Config.Fusion];

    /// <summary>Bytes of small live managed objects held while the experiment runs (0: none).</summary>
    public long BallastBytes { get; init; }

    /// <summary>A <see cref="DeviceMemory.GarbageBudget"/> to set, or null for the device's default.</summary>
    public long? GarbageBudget { get; init; }

    public OutputFormat Format { get; init; } = OutputFormat.Table;

    /// <summary>Where to write the memory chart, or null.</summary>
    public string? SvgPath { get; init; }

    /// <summary>Where <c>graph</c> writes its DOT file.</summary>
    public string GraphPath { get; init; } = "seed-graph.dot";

    /// <summary>No progress lines on standard error.</summary>
    public bool Quiet { get; init; }

    /// <summary>The input's shape.</summary>
    public Shape Shape => new(Dimensions);

    /// <summary>The name a mode is typed as (and shown as).</summary>
    public static string ModeName(Mode mode) => mode switch
    {
        Mode.Backward => "backward",
        Mode.Retain => "retain",
        _ => "nograd",
    };

    /// <summary>The name a lifetime is typed as (and shown as).</summary>
    public static string LifetimeName(Lifetime lifetime) => lifetime switch
    {
        Lifetime.Natural => "natural",
        Lifetime.Scoped => "scoped",
        _ => "disposed",
    };

    /// <summary>Parses a learning rate: a finite positive number.</summary>
    public static double ParseRate(string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) || !double.IsFinite(rate) || rate <= 0)
            throw new OptionsException($"--lr: '{text}' is not a positive number: write e.g. 0.2");
        return rate;
    }

    /// <summary>Parses <c>100x100x100</c> (also with <c>,</c> or <c>×</c>) into dimensions of at least 1.</summary>
    public static int[] ParseShape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Trim('(', ')').TrimEnd(',').Split(['x', 'X', ',', '×', '*'], StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
            throw new OptionsException($"--shape: '{text}' is not a shape: write it as 100x100x100");
        var dims = new int[parts.Length];
        long length = 1;
        for (int i = 0; i < parts.Length; i++)
        {
            dims[i] = (int)ParseCount("--shape", parts[i], 1, int.MaxValue);
            if (length > long.MaxValue / dims[i])
                throw new OptionsException($"--shape: {text} has more than {long.MaxValue:N0} elements");
            length *= dims[i];
        }
        return dims;
    }

    /// <summary><c>--size N</c>: N×N×N.</summary>
    public static int[] ParseSize(string text)
    {
        int n = (int)ParseCount("--size", text, 1, int.MaxValue);
        if ((double)n * n * n > long.MaxValue)
            throw new OptionsException($"--size: {n}³ elements is more than {long.MaxValue:N0}");
        return [n, n, n];
    }

    /// <summary><c>--elements N</c>: one dimension of N.</summary>
    public static int[] ParseElements(string text)
    {
        long count = ParseCount("--elements", text, 1, long.MaxValue);
        if (count > int.MaxValue)
            throw new OptionsException($"--elements: {count:N0} is more than one dimension holds ({int.MaxValue:N0}); use --shape, e.g. --shape {Math.Ceiling(count / 1024.0):F0}x1024");
        return [(int)count];
    }

    /// <summary>
    /// A whole number between <paramref name="min"/> and <paramref name="max"/>; also accepts <c>1e6</c> and
    /// <c>_</c> or <c>,</c> as digit separators.
    /// </summary>
    public static long ParseCount(string option, string text, long min, long max)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal).Replace(",", string.Empty, StringComparison.Ordinal);
        long value;
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d) || d != Math.Floor(d))
                throw new OptionsException($"{option}: '{text}' is not a whole number");
            if (d < min || d > max)
                throw new OptionsException($"{option}: {text} is out of range: use {RangeText(min, max)}");
            value = (long)d;
        }
        if (value < min || value > max)
            throw new OptionsException($"{option}: {text} is out of range: use {RangeText(min, max)}");
        return value;
    }

    /// <summary>
    /// A byte count: <c>200MB</c>, <c>1.5GB</c>, <c>512MiB</c>, <c>64k</c> (k, M, G and T are powers of 1000, KiB,
    /// MiB, GiB and TiB of 1024); a plain number is in MB.
    /// </summary>
    public static long ParseBytes(string option, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
        int unitAt = t.Length;
        while (unitAt > 0 && char.IsLetter(t[unitAt - 1]))
            unitAt--;
        string unit = t[unitAt..].ToUpperInvariant();
        double scale = unit switch
        {
            "" or "M" or "MB" => 1e6,
            "B" => 1,
            "K" or "KB" => 1e3,
            "G" or "GB" => 1e9,
            "T" or "TB" => 1e12,
            "KIB" => 1L << 10,
            "MIB" => 1L << 20,
            "GIB" => 1L << 30,
            "TIB" => 1L << 40,
            _ => 0,
        };
        if (scale == 0 || !double.TryParse(t[..unitAt], NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
            || !double.IsFinite(number) || number < 0)
            throw new OptionsException($"{option}: '{text}' is not a size: write it as 200MB, 1.5GB or 512MiB");
        double bytes = Math.Round(number * scale);
        if (bytes > long.MaxValue / 2)
            throw new OptionsException($"{option}: {text} is too large");
        return (long)bytes;
    }

    public static DType ParseDType(string text)
    {
        try
        {
            return DTypeExtensions.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new OptionsException($"--dtype: {StripParameter(e)}");
        }
    }

    /// <summary>Checks a device identifier (<c>cpu</c>, <c>cuda:1</c>, <c>best</c>); whether it is present is checked when it is opened.</summary>
    public static string ParseDevice(string text)
    {
        try
        {
            AutoDiff.Gpu.Device.ParseId(text);
        }
        catch (ArgumentException e)
        {
            throw new OptionsException($"--device: {StripParameter(e)}");
        }
        return text;
    }

    public static OutputFormat ParseFormat(string text) => text.Trim().ToLowerInvariant() switch
    {
        "table" or "text" => OutputFormat.Table,
        "csv" => OutputFormat.Csv,
        "json" => OutputFormat.Json,
        var other => throw new OptionsException($"--format: unknown format '{other}': use table, csv or json"),
    };

    public static Mode[] ParseModes(string text) => ParseList<Mode>("--modes", text, "backward, retain and/or nograd", ModeName, part => part switch
    {
        "backward" or "backprop" => Mode.Backward,
        "retain" or "retain-grad" or "retaingrad" => Mode.Retain,
        "nograd" or "no-grad" or "forward" => Mode.NoGrad,
        _ => null,
    });

    public static Lifetime[] ParseLifetimes(string text) => ParseList<Lifetime>("--lifetime", text, "natural, scoped and/or disposed", LifetimeName, part => part switch
    {
        "natural" or "seed" => Lifetime.Natural,
        "scoped" or "scope" => Lifetime.Scoped,
        "disposed" or "dispose" => Lifetime.Disposed,
        _ => null,
    });

    public static bool[] ParseFusion(string text) => ParseList<bool>("--fusion", text, "on and/or off", FusionName, part => part switch
    {
        "on" or "fused" => true,
        "off" or "eager" => false,
        _ => null,
    });

    /// <summary>The name a fusion setting is shown as.</summary>
    public static string FusionName(bool fused) => fused ? "fused" : "eager";

    public static string NonEmpty(string option, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new OptionsException($"{option} needs a file name") : value;

    /// <summary>An <see cref="ArgumentException"/>'s message without the " (Parameter 'x')" suffix.</summary>
    public static string StripParameter(ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string message = e.Message;
        int at = e.ParamName is null ? -1 : message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return at >= 0 ? message[..at] : message;
    }

    /// <summary>A comma-separated list of distinct names, in the order given.</summary>
    private static T[] ParseList<T>(string option, string text, string choices, Func<T, string> name, Func<string, T?> parse)
        where T : struct
    {
        var items = new List<T>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            T item = parse(part.ToLowerInvariant())
                ?? throw new OptionsException($"{option}: unknown value '{part}': use {choices}, comma-separated");
            if (items.Contains(item))
                throw new OptionsException($"{option}: {name(item)} is listed twice");
            items.Add(item);
        }
        if (items.Count == 0)
            throw new OptionsException($"{option}: nothing given: use {choices}, comma-separated");
        return [.. items];
    }

    private static string RangeText(long min, long max) =>
        max == int.MaxValue || max == long.MaxValue ? $"{min} or more" : $"{min} to {max}";
}
