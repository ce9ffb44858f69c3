using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using AutoDiff.Gpu.Experiments;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// Base of the benchmarks that compare how tensors end: <c>*Natural</c> methods drop them as the seed's code does
/// (no scope, no Dispose) and leave them to the device pool's collections, next to the scoped or disposing
/// baseline of their category (BenchmarkDotNet's <c>Ratio</c> column is natural / scoped). Optionally holds a live
/// managed ballast (<see cref="BallastMB"/>) so that a full collection costs what it costs in an application, and
/// counts the garbage collections the pool starts per call (<see cref="PoolCollectionsColumn"/>).
/// </summary>
public abstract class PoolBenchmarks
{
    private List<byte[]>? ballast;
    private MemoryStatistics start;
    private long calls;
    private string method = string.Empty;

    /// <summary>MB of small live managed objects held during the case (<see cref="BenchmarkEnvironment.Ballasts"/>).</summary>
    [ParamsSource(nameof(Ballasts))]
    public int BallastMB { get; set; }

    /// <summary>The ballast sizes, from <c>AUTODIFF_BENCH_BALLAST_MB</c> (default 0).</summary>
    public static IEnumerable<int> Ballasts() => BenchmarkEnvironment.Ballasts();

    /// <summary>The device the case runs on.</summary>
    protected Device Device { get; private set; } = null!;

    /// <summary>Opens the device and makes the ballast; call first in the case's setup.</summary>
    protected void Open()
    {
        Device = BenchmarkEnvironment.Open();
        ballast = Ballast.Make(BallastMB * 1_000_000L);
    }

    /// <summary>Starts counting calls and pool collections; call last in the case's setup, after its untimed calls.</summary>
    protected void StartCounting()
    {
        start = Device.Memory.Snapshot();
        calls = 0;
    }

    /// <summary>Counts one call of the benchmark <paramref name="name"/> (a field store and an increment).</summary>
    protected void Count([CallerMemberName] string name = "")
    {
        calls++;
        method = name;
    }

    /// <summary>Records the pool's collections per call of the case, frees the device and drops the ballast.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        if (Device is null)
            return;
        var end = Device.Memory.Snapshot();
        if (calls > 0)
        {
            // In process, BenchmarkDotNet runs a generated subclass in another assembly: record the class declared here.
            var type = GetType();
            while (type.BaseType is { } parent && type.Assembly != typeof(PoolBenchmarks).Assembly)
                type = parent;
            PoolCollectionsColumn.Record(
                type, method, ParameterKey(this), calls,
                end.EphemeralCollections - start.EphemeralCollections, end.FullCollections - start.FullCollections);
        }
        Device.Dispose();
        Device = null!;
        ballast = null;
        GC.Collect();
    }

    /// <summary><c>BallastMB=0,N=1000000</c>: the parameters of a benchmark instance, by name.</summary>
    private static string ParameterKey(object benchmark) =>
        string.Join(',', benchmark.GetType().GetProperties()
            .Where(p => p.IsDefined(typeof(ParamsAttribute)) || p.IsDefined(typeof(ParamsSourceAttribute)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={Convert.ToString(p.GetValue(benchmark), CultureInfo.InvariantCulture)}"));

    /// <summary>The same key from a benchmark case's parameters.</summary>
    internal static string ParameterKey(BenchmarkCase benchmarkCase) =>
        string.Join(',', benchmarkCase.Parameters.Items
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"));
}

/// <summary>
/// Garbage collections the device pool started per 1,000 calls of a <see cref="PoolBenchmarks"/> case,
/// ephemeral / full, counted over every call of the case (pilot, warm-up and measured calls alike). The benchmarks
/// run in this process, so the counts recorded at each case's cleanup are here when the summary is printed.
/// </summary>
public sealed class PoolCollectionsColumn : IColumn
{
    private static readonly ConcurrentDictionary<string, (long Calls, long Ephemeral, long Full)> Counts = new();

    /// <inheritdoc/>
    public string Id => nameof(PoolCollectionsColumn);

    /// <inheritdoc/>
    public string ColumnName => "Pool GCs/1k eph/full";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => false;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Garbage collections the device pool started per 1,000 calls, ephemeral / full (over every call of the case)";

    /// <summary>Stores a case's counts.</summary>
    public static void Record(Type type, string method, string parameters, long calls, long ephemeral, long full)
    {
        ArgumentNullException.ThrowIfNull(type);
        Counts[Key(type, method, parameters)] = (calls, ephemeral, full);
    }

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var descriptor = benchmarkCase.Descriptor;
        if (!descriptor.Type.IsSubclassOf(typeof(PoolBenchmarks)))
            return "-";
        if (!Counts.TryGetValue(Key(descriptor.Type, descriptor.WorkloadMethod.Name, PoolBenchmarks.ParameterKey(benchmarkCase)), out var c) || c.Calls == 0)
            return "NA";
        return string.Create(CultureInfo.InvariantCulture, $"{1000.0 * c.Ephemeral / c.Calls:0.##} / {1000.0 * c.Full / c.Calls:0.##}");
    }

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public override string ToString() => ColumnName;

    private static string Key(Type type, string method, string parameters) => $"{type.FullName}.{method}({parameters})";
}
