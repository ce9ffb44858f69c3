using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AutoDiff.Gpu.Experiments;

/// <summary>What a run was about, shared by every row.</summary>
/// <param name="DeviceId">The device identifier, e.g. <c>cuda:0</c>.</param>
/// <param name="DeviceName">The device's name.</param>
/// <param name="Shape">The input's shape.</param>
/// <param name="DType">The element type.</param>
/// <param name="Reps">Timed iterations per row, asked for.</param>
/// <param name="Rounds">Rounds the timed iterations were split into.</param>
/// <param name="Warmup">Least untimed iterations per turn, after the checked one on the first.</param>
/// <param name="BallastBytes">Bytes of small live managed objects held during the run.</param>
/// <param name="GarbageBudget">The device pool's garbage budget during the run.</param>
internal sealed record RunInfo(
    string DeviceId, string DeviceName, Shape Shape, DType DType, int Reps, int Rounds, int Warmup, long BallastBytes,
    long GarbageBudget)
{
    /// <summary>The input's data bytes (the pool block may be larger).</summary>
    public long DataBytes => Shape.Length * DType.Size();
}

/// <summary>Writes the experiment's results and the device list as a table, CSV or JSON.</summary>
internal static class Report
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one row per mode.</summary>
    public static void WriteResults(TextWriter output, OutputFormat format, RunInfo info, IReadOnlyList<ModeResult> results)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(results);
        switch (format)
        {
            case OutputFormat.Csv:
                WriteResultsCsv(output, info, results);
                break;
            case OutputFormat.Json:
                WriteResultsJson(output, info, results);
                break;
            default:
                WriteResultsTable(output, info, results);
                break;
        }
    }

    /// <summary>Writes the devices present, each with the matrix product it runs (<paramref name="matMul"/>, in the same order).</summary>
    public static void WriteDevices(TextWriter output, OutputFormat format, IReadOnlyList<DeviceInfo> devices, IReadOnlyList<string> matMul)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(matMul);
        switch (format)
        {
            case OutputFormat.Csv:
                output.WriteLine("id,kind,name,memory_bytes,matmul");
                for (int i = 0; i < devices.Count; i++)
                {
                    var d = devices[i];
                    output.WriteLine(Units.Invariant($"{d.Id},{Kind(d.Kind)},{Csv(d.Name)},{d.MemoryBytes},{Csv(matMul[i])}"));
                }
                break;
            case OutputFormat.Json:
                WriteJson(output, w =>
                {
                    w.WriteStartArray();
                    for (int i = 0; i < devices.Count; i++)
                    {
                        var d = devices[i];
                        w.WriteStartObject();
                        w.WriteString("id", d.Id);
                        w.WriteString("kind", Kind(d.Kind));
                        w.WriteString("name", d.Name);
                        w.WriteNumber("memoryBytes", d.MemoryBytes);
                        w.WriteString("matmul", matMul[i]);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
                break;
            default:
                var rows = devices.Select((d, i) => new[] { d.Id, Kind(d.Kind), d.Name, Units.Bytes(d.MemoryBytes), matMul[i] }).ToList();
                WriteTable(output, ["id", "kind", "name", "memory", "matmul"], rows, rightAligned: [3]);
                output.WriteLine();
                output.WriteLine($"best: {devices[0].Id}; {Device.EnvironmentVariable} or --device picks another (cpu memory is the machine's)");
                break;
        }
    }

    private static void WriteResultsTable(TextWriter output, RunInfo info, IReadOnlyList<ModeResult> results)
    {
        long block = results.Count > 0 ? results[0].BufferBytes : DeviceMemory.RoundSize(info.DataBytes);
        output.WriteLine($"DeZero step 18 mode switch: y = Square(Square(Square(x))), x = ones{info.Shape} {info.DType.Name()}");
        output.WriteLine(Units.Invariant($"device {info.DeviceId} ({info.DeviceName}); one tensor = {Units.Bytes(info.DataBytes)} in a {Units.Bytes(block)} pool block; garbage budget {Units.Bytes(info.GarbageBudget)}; ballast {(info.BallastBytes > 0 ? $"{info.BallastBytes / 1e6:0.#} MB of small live objects" : "none")}"));
        double least = CommandLine.MinWarmupTime.TotalSeconds;
        string warmUp = Units.Invariant(
            $"warm-up (at least {info.Warmup} iterations and {least:0.#} s, until the pool is steady)");
        string timed = info.Rounds == 1
            ? Units.Invariant($"1 checked + {warmUp} + {info.Reps} timed iterations")
            : Units.Invariant($"1 checked, then {info.Rounds} rounds in which every row in turn runs a {warmUp}")
                + Units.Invariant($" and its share of {info.Reps} timed iterations");
        output.WriteLine($"per row: {timed}; peak measured on one iteration after a full collection");
        output.WriteLine();
        var references = ScopedReferences(results);
        bool relative = references.Count > 0 && results.Select(r => r.Lifetime).Distinct().Count() > 1;
        List<string> header =
        [
            "mode", "lifetime", "fusion", "device", "shape", "elements", "dtype", "median", "mean", "fastest", "first",
            "launches", "compiled", "peak/tensor", "peak alloc", "reserved", "pool GCs eph/full", "GC pause", "warm-up",
            "check",
        ];
        bool perRound = relative && info.Rounds > 1;
        if (relative)
            header.Insert(9, "mean/scoped");
        if (perRound)
            header.Insert(10, "per round");
        var rows = results.Select(r =>
        {
            List<string> row =
            [
                Options.ModeName(r.Mode),
                Options.LifetimeName(r.Lifetime),
                Options.FusionName(r.Fused),
                info.DeviceId,
                info.Shape.ToString(),
                info.Shape.Length.ToString("N0", CultureInfo.InvariantCulture),
                info.DType.Name(),
                Units.Duration(r.MedianMicroseconds),
                Units.Duration(r.MeanMicroseconds),
                Units.Duration(r.MinMicroseconds),
                Units.Duration(r.FirstMicroseconds),
                Units.Invariant($"{r.LaunchesPerIteration:0.#}"),
                Units.Invariant($"{r.Compiled}"),
                r.PeakBuffers.ToString("F2", CultureInfo.InvariantCulture),
                Units.Bytes(r.PeakAllocatedBytes),
                Units.Bytes(r.ReservedBytes),
                Units.Invariant($"{r.EphemeralCollections} / {r.FullCollections}"),
                Units.Duration(r.GcPauseMicroseconds),
                Units.Invariant($"{r.WarmupIterations}{(r.WarmupCapped ? " (capped)" : string.Empty)}"),
                r.Passed ? r.Check : "FAILED",
            ];
            if (relative)
            {
                row.Insert(9, references.TryGetValue(r.Mode, out var s)
                    ? Units.Invariant($"{r.MeanMicroseconds / s.MeanMicroseconds:F2}") : "-");
            }
            if (perRound)
            {
                row.Insert(10, RoundRatios(r, references) is { Length: > 0 } ratios
                    ? Units.Invariant($"{ratios.Min():F2}–{ratios.Max():F2}") : "-");
            }
            return row.ToArray();
        }).ToList();
        int[] rightAligned = [5, .. Enumerable.Range(7, 11 + (relative ? 1 : 0) + (perRound ? 1 : 0))];
        WriteTable(output, [.. header], rows, rightAligned);
    }

    /// <summary>Each mode's scoped row (the eager one where both ran), the reference of <c>mean/scoped</c>.</summary>
    private static Dictionary<Mode, ModeResult> ScopedReferences(IReadOnlyList<ModeResult> results) =>
        results.Where(r => r.Lifetime == Lifetime.Scoped).GroupBy(r => r.Mode)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Fused).First());

    /// <summary>The row's mean over its reference's in each round; empty when its mode has no scoped row.</summary>
    private static double[] RoundRatios(ModeResult r, Dictionary<Mode, ModeResult> references) =>
        references.TryGetValue(r.Mode, out var scoped)
            ? [.. r.RoundMeanMicroseconds.Zip(scoped.RoundMeanMicroseconds, (mean, reference) => mean / reference)]
            : [];

    private static void WriteResultsCsv(TextWriter output, RunInfo info, IReadOnlyList<ModeResult> results)
    {
        output.WriteLine(
            "mode,lifetime,fusion,launches_per_iteration,compiled,device,device_name,shape,elements,dtype,reps,"
            + "rounds,timed_iterations,warmup,median_us,mean_us,min_us,first_us,peak_allocated_bytes,reserved_bytes,"
            + "buffer_bytes,peak_buffers,ephemeral_collections,full_collections,gc_pause_us,warmup_iterations,"
            + "warmup_capped,garbage_budget_bytes,ballast_bytes,check,mean_over_scoped_per_round");
        var references = ScopedReferences(results);
        foreach (var r in results)
        {
            var ratios = RoundRatios(r, references).Select(x => x.ToString("F4", CultureInfo.InvariantCulture));
            output.WriteLine(
                Units.Invariant($"{Options.ModeName(r.Mode)},{Options.LifetimeName(r.Lifetime)},")
                + Units.Invariant($"{Options.FusionName(r.Fused)},")
                + Units.Invariant($"{r.LaunchesPerIteration:F2},{r.Compiled},{info.DeviceId},{Csv(info.DeviceName)},")
                + Units.Invariant($"{Units.ShapeText(info.Shape)},{info.Shape.Length},{info.DType.Name()},")
                + Units.Invariant($"{info.Reps},{info.Rounds},{r.TimedIterations},{info.Warmup},")
                + Units.Invariant($"{r.MedianMicroseconds:F3},{r.MeanMicroseconds:F3},")
                + Units.Invariant($"{r.MinMicroseconds:F3},{r.FirstMicroseconds:F3},")
                + Units.Invariant($"{r.PeakAllocatedBytes},{r.ReservedBytes},{r.BufferBytes},{r.PeakBuffers:F4},")
                + Units.Invariant($"{r.EphemeralCollections},{r.FullCollections},")
                + Units.Invariant($"{r.GcPauseMicroseconds:F3},{r.WarmupIterations},")
                + Units.Invariant($"{(r.WarmupCapped ? "true" : "false")},{info.GarbageBudget},{info.BallastBytes},")
                + Units.Invariant($"{Csv(r.Check)},{string.Join(';', ratios)}"));
        }
    }

    private static void WriteResultsJson(TextWriter output, RunInfo info, IReadOnlyList<ModeResult> results)
    {
        WriteJson(output, w =>
        {
            w.WriteStartObject();
            w.WriteString("experiment", "y = Square(Square(Square(x))), x = ones");
            w.WriteStartObject("device");
            w.WriteString("id", info.DeviceId);
            w.WriteString("name", info.DeviceName);
            w.WriteEndObject();
            w.WriteStartArray("shape");
            foreach (int d in info.Shape.Dimensions)
                w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteNumber("elements", info.Shape.Length);
            w.WriteString("dtype", info.DType.Name());
            w.WriteNumber("reps", info.Reps);
            w.WriteNumber("rounds", info.Rounds);
            w.WriteNumber("warmup", info.Warmup);
            w.WriteNumber("garbageBudgetBytes", info.GarbageBudget);
            w.WriteNumber("ballastBytes", info.BallastBytes);
            var references = ScopedReferences(results);
            w.WriteStartArray("results");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("mode", Options.ModeName(r.Mode));
                w.WriteString("lifetime", Options.LifetimeName(r.Lifetime));
                w.WriteString("fusion", Options.FusionName(r.Fused));
                w.WriteNumber("launchesPerIteration", Math.Round(r.LaunchesPerIteration, 2));
                w.WriteNumber("timedIterations", r.TimedIterations);
                w.WriteNumber("medianMicroseconds", Math.Round(r.MedianMicroseconds, 3));
                w.WriteNumber("meanMicroseconds", Math.Round(r.MeanMicroseconds, 3));
                w.WriteNumber("minMicroseconds", Math.Round(r.MinMicroseconds, 3));
                w.WriteNumber("firstMicroseconds", Math.Round(r.FirstMicroseconds, 3));
                WriteNumbers(w, "roundMeanMicroseconds", r.RoundMeanMicroseconds, 3);
                WriteNumbers(w, "meanOverScopedPerRound", RoundRatios(r, references), 4);
                w.WriteNumber("compiled", r.Compiled);
                w.WriteNumber("peakAllocatedBytes", r.PeakAllocatedBytes);
                w.WriteNumber("reservedBytes", r.ReservedBytes);
                w.WriteNumber("bufferBytes", r.BufferBytes);
                w.WriteNumber("peakBuffers", Math.Round(r.PeakBuffers, 4));
                w.WriteNumber("ephemeralCollections", r.EphemeralCollections);
                w.WriteNumber("fullCollections", r.FullCollections);
                w.WriteNumber("gcPauseMicroseconds", Math.Round(r.GcPauseMicroseconds, 3));
                w.WriteNumber("warmupIterations", r.WarmupIterations);
                w.WriteBoolean("warmupCapped", r.WarmupCapped);
                w.WriteString("check", r.Check);
                w.WriteBoolean("passed", r.Passed);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void WriteNumbers(Utf8JsonWriter w, string name, IEnumerable<double> values, int digits)
    {
        w.WriteStartArray(name);
        foreach (double value in values)
            w.WriteNumberValue(Math.Round(value, digits));
        w.WriteEndArray();
    }

    internal static void WriteJson(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Indented))
            write(w);
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    internal static void WriteTable(TextWriter output, string[] header, List<string[]> rows, int[] rightAligned)
    {
        var widths = new int[header.Length];
        for (int c = 0; c < header.Length; c++)
            widths[c] = Math.Max(header[c].Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length));
        void Line(string[] cells)
        {
            var text = new StringBuilder();
            for (int c = 0; c < cells.Length; c++)
            {
                if (c > 0)
                    text.Append("  ");
                text.Append(rightAligned.Contains(c) ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
            }
            output.WriteLine(text.ToString().TrimEnd());
        }
        Line(header);
        foreach (var row in rows)
            Line(row);
    }

    private static string Kind(DeviceKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Quotes a CSV field when it needs it.</summary>
    internal static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
}
