using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The bytes one call of a benchmark reads and writes in device memory, per element of its <c>N</c> parameter.
/// <c>y = x²</c> reads 4 and writes 4 bytes per float32 element (8); the fused backward <c>gx = 2·x·gy</c>
/// reads 8 and writes 4 (12); the seed's forward and backward together move 64 (see PERFORMANCE.md).
/// </summary>
/// <param name="bytes">Bytes per element.</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BytesPerElementAttribute(int bytes) : Attribute
{
    /// <summary>Bytes per element.</summary>
    public int Bytes { get; } = bytes;
}

/// <summary>
/// A summary column with the effective bandwidth, <c>bytes moved / median time</c> in GB/s (10⁹ bytes per second,
/// as the baselines print it), for benchmarks marked with <see cref="BytesPerElementAttribute"/>. The median
/// rather than the mean: a shared machine's stalls stretch a few iterations and the mean with them.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    /// <summary>The parameter holding the element count.</summary>
    public const string ElementsParameter = "N";

    /// <inheritdoc/>
    public string Id => nameof(ThroughputColumn);

    /// <inheritdoc/>
    public string ColumnName => "GB/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Effective bandwidth: bytes read and written per call (BytesPerElement × N) / median time, in 10^9 bytes/s";

    /// <summary>Bytes one call moves, or null when the benchmark declares none.</summary>
    public static long? BytesMoved(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var perElement = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<BytesPerElementAttribute>();
        if (perElement is null)
            return null;
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            if (parameter.Name == ElementsParameter && parameter.Value is long n)
                return perElement.Bytes * n;
        }
        return null;
    }

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (BytesMoved(benchmarkCase) is not long bytes)
            return "-";
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null || statistics.Median <= 0)
            return "NA";
        // Bytes per nanosecond are GB/s.
        return (bytes / statistics.Median).ToString("F1", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
