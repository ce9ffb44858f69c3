using System.Globalization;

namespace AutoDiff.Gpu.Experiments;

/// <summary>Human-readable sizes and durations (binary units: one pool block of a 100³ float32 tensor is 4 MiB).</summary>
internal static class Units
{
    private static readonly string[] ByteUnits = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary><c>512 B</c>, <c>24.0 MiB</c>, <c>4.00 GiB</c>.</summary>
    public static string Bytes(long bytes)
    {
        var (scale, unit) = ByteUnit(bytes);
        if (scale == 1)
            return Invariant($"{bytes} B");
        double v = bytes / scale;
        return Invariant($"{v.ToString(v < 10 ? "F2" : "F1", CultureInfo.InvariantCulture)} {unit}");
    }

    /// <summary>The binary unit that shows <paramref name="bytes"/> with 1 to 1023 of them.</summary>
    public static (double Scale, string Unit) ByteUnit(long bytes)
    {
        double scale = 1;
        int u = 0;
        while (u < ByteUnits.Length - 1 && Math.Abs(bytes) >= scale * 1024)
        {
            scale *= 1024;
            u++;
        }
        return (scale, ByteUnits[u]);
    }

    /// <summary><c>812.3 µs</c>, <c>12.34 ms</c>, <c>1.234 s</c>.</summary>
    public static string Duration(double microseconds) => microseconds switch
    {
        < 1_000 => Invariant($"{microseconds:F1} µs"),
        < 1_000_000 => Invariant($"{microseconds / 1_000:F2} ms"),
        _ => Invariant($"{microseconds / 1_000_000:F3} s"),
    };

    /// <summary>A shape as typed on the command line: <c>100x100x100</c>.</summary>
    public static string ShapeText(Shape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Rank == 0 ? "scalar" : string.Join('x', shape.Dimensions.ToArray());
    }

    /// <summary>Formats with the invariant culture.</summary>
    public static string Invariant(FormattableString text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToString(CultureInfo.InvariantCulture);
    }
}
