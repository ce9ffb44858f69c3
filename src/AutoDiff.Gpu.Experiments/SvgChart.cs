using System.Globalization;
using System.Security;
using System.Text;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// An SVG chart of the device bytes held by tensors over one iteration of each mode: one panel per mode, all
/// on the same vertical scale, so the memory the step-18 modes save shows as lower steps.
/// </summary>
internal static class SvgChart
{
    private const double Width = 960;
    private const double Left = 90;
    private const double Right = 80;
    private const double Top = 104;
    private const double PanelTitle = 26;
    private const double PlotHeight = 160;
    private const double PanelGap = 52;
    private const double PlotWidth = Width - Left - Right;

    /// <summary>Renders the chart of the modes that were recorded.</summary>
    public static string Render(RunInfo info, IReadOnlyList<ModeResult> results)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(results);
        var recorded = results.Where(r => r.Samples is { Count: > 0 }).ToList();
        if (recorded.Count == 0)
            throw new ArgumentException("no mode has a memory recording", nameof(results));

        var axes = Axes.For(recorded);
        long block = axes.Block;

        double height = Top + (recorded.Count * (PanelTitle + PlotHeight + PanelGap)) + 8;
        var svg = new StringBuilder();
        Append(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height:F0}\" viewBox=\"0 0 {Width} {height:F0}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">");
        Append(svg, $"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Append(svg, $"<text x=\"{Width / 2}\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">Device memory held by tensors during one iteration (DeZero step 18)</text>");
        Append(svg, $"<text x=\"{Width / 2}\" y=\"48\" text-anchor=\"middle\" fill=\"#444\">y = Square(Square(Square(x))), x = ones{Escape(info.Shape.ToString())} {info.DType.Name()} on {Escape(info.DeviceId)} ({Escape(info.DeviceName)}); one tensor = {Units.Bytes(block)} pool block</text>");

        // Legend.
        double legendX = Left;
        foreach (var r in recorded)
        {
            string label = $"{r.Label}: peak {Units.Bytes(r.Samples!.Max(s => s.Bytes))} = {PeakTensors(r):0.##} tensors";
            Append(svg, $"<line x1=\"{legendX:F1}\" y1=\"72\" x2=\"{legendX + 24:F1}\" y2=\"72\" stroke=\"{Colour(r.Mode)}\" stroke-width=\"3\"/>");
            Append(svg, $"<text x=\"{legendX + 30:F1}\" y=\"76\">{Escape(label)}</text>");
            legendX += 44 + (label.Length * 6.4);
        }

        double top = Top;
        foreach (var r in recorded)
        {
            DrawPanel(svg, r, top, axes);
            top += PanelTitle + PlotHeight + PanelGap;
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void DrawPanel(StringBuilder svg, ModeResult r, double top, Axes axes)
    {
        var (duration, timeStep, timeScale, timeUnit, block, tensorStep, topTensors, byteScale, byteUnit) = axes;
        long topBytes = topTensors * block;
        var samples = r.Samples!;
        string colour = Colour(r.Mode);
        double plotTop = top + PanelTitle;
        double plotBottom = plotTop + PlotHeight;
        double end = Math.Max(r.RecordedMicroseconds, samples[^1].Microseconds);
        double X(double microseconds) => Left + (microseconds / duration * PlotWidth);
        double Y(long bytes) => plotBottom - ((double)bytes / topBytes * PlotHeight);

        Append(svg, $"<text x=\"{Left}\" y=\"{top + 16:F1}\" font-size=\"14\"><tspan font-weight=\"bold\" fill=\"{colour}\">{r.Label}</tspan>  {Escape(Describe(r.Mode))}  <tspan fill=\"#444\">(iteration {Units.Duration(r.RecordedMicroseconds)} while recording, after a full collection; median {Units.Duration(r.MedianMicroseconds)})</tspan></text>");
        Append(svg, $"<rect x=\"{Left}\" y=\"{plotTop:F1}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"#fafafa\" stroke=\"#888\"/>");

        // Horizontal grid: whole tensors; bytes on the left axis, tensors on the right.
        for (int k = 0; k <= topTensors; k += tensorStep)
        {
            double y = Y(k * block);
            Append(svg, $"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Left + PlotWidth}\" y2=\"{y:F1}\" stroke=\"#ddd\"/>");
            Append(svg, $"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Number(k * block / byteScale)}</text>");
            Append(svg, $"<text x=\"{Left + PlotWidth + 6}\" y=\"{y + 4:F1}\" fill=\"#666\">{k}</text>");
        }
        Append(svg, $"<text transform=\"translate({Left - 58:F1},{(plotTop + plotBottom) / 2:F1}) rotate(-90)\" text-anchor=\"middle\">allocated ({byteUnit})</text>");
        Append(svg, $"<text transform=\"translate({Left + PlotWidth + 42:F1},{(plotTop + plotBottom) / 2:F1}) rotate(90)\" text-anchor=\"middle\" fill=\"#666\">tensors</text>");

        // Vertical grid: time.
        for (double t = 0; t <= duration * 1.0001; t += timeStep)
        {
            double x = X(t);
            Append(svg, $"<line x1=\"{x:F1}\" y1=\"{plotTop:F1}\" x2=\"{x:F1}\" y2=\"{plotBottom:F1}\" stroke=\"#eee\"/>");
            Append(svg, $"<text x=\"{x:F1}\" y=\"{plotBottom + 16:F1}\" text-anchor=\"middle\">{Number(t / timeScale)}</text>");
        }
        Append(svg, $"<text x=\"{Left + (PlotWidth / 2)}\" y=\"{plotBottom + 34:F1}\" text-anchor=\"middle\">time since the iteration started ({timeUnit})</text>");

        // Peak.
        long peak = samples.Max(s => s.Bytes);
        Append(svg, $"<line x1=\"{Left}\" y1=\"{Y(peak):F1}\" x2=\"{Left + PlotWidth}\" y2=\"{Y(peak):F1}\" stroke=\"{colour}\" stroke-dasharray=\"5,4\" stroke-opacity=\"0.7\"/>");
        Append(svg, $"<text x=\"{Left + PlotWidth - 6}\" y=\"{Y(peak) - 5:F1}\" text-anchor=\"end\" fill=\"{colour}\">peak {Units.Bytes(peak)} = {PeakTensors(r):0.##} tensors</text>");

        // The allocated bytes: a step function, constant between allocations and releases.
        var points = new StringBuilder();
        long previous = samples[0].Bytes;
        AppendPoint(points, X(0), Y(previous));
        foreach (var (t, bytes) in samples.Skip(1))
        {
            AppendPoint(points, X(t), Y(previous));
            AppendPoint(points, X(t), Y(bytes));
            previous = bytes;
        }
        AppendPoint(points, X(end), Y(previous));
        Append(svg, $"<polyline points=\"{points.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>");
    }

    /// <summary>
    /// The scales every panel shares: time from 0 to <paramref name="Duration"/> µs (the longest recorded
    /// iteration, rounded up to a tick), bytes from 0 to <paramref name="TopTensors"/> pool blocks, gridlines at
    /// whole tensors.
    /// </summary>
    private sealed record Axes(double Duration, double TimeStep, double TimeScale, string TimeUnit, long Block, int TensorStep, int TopTensors, double ByteScale, string ByteUnit)
    {
        public static Axes For(List<ModeResult> recorded)
        {
            double longest = Math.Max(1, recorded.Max(r => Math.Max(r.RecordedMicroseconds, r.Samples![^1].Microseconds)));
            var (timeScale, timeUnit) = longest < 100_000 ? (1.0, "µs") : longest < 100_000_000 ? (1_000.0, "ms") : (1_000_000.0, "s");
            double timeStep = NiceStep(longest / timeScale / 8) * timeScale;
            double duration = Math.Ceiling(longest / timeStep) * timeStep;

            long block = recorded[0].BufferBytes;
            long maxBytes = Math.Max(block, recorded.Max(r => r.Samples!.Max(s => s.Bytes)));
            double maxTensors = (double)maxBytes / block;
            int tensorStep = Math.Max(1, (int)NiceStep(maxTensors / 6));
            int topTensors = (int)Math.Ceiling((maxTensors + (0.25 * tensorStep)) / tensorStep) * tensorStep;
            var (byteScale, byteUnit) = Units.ByteUnit(topTensors * block);
            return new Axes(duration, timeStep, timeScale, timeUnit, block, tensorStep, topTensors, byteScale, byteUnit);
        }
    }

    private static double PeakTensors(ModeResult r) => (double)r.Samples!.Max(s => s.Bytes) / r.BufferBytes;

    private static string Describe(Mode mode) => mode switch
    {
        Mode.Backward => "y.Backward(): intermediate gradients released once used",
        Mode.Retain => "y.Backward(retainGrad: true): every gradient kept",
        _ => "forward only under Config.NoGrad(): no graph",
    };

    private static string Colour(Mode mode) => mode switch
    {
        Mode.Backward => "#1f77b4",
        Mode.Retain => "#d62728",
        _ => "#2ca02c",
    };

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="rough"/>.</summary>
    internal static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough))
            return 1;
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double m = rough / power;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
    }

    internal static string Number(double v) => Math.Round(v, 6).ToString("#,0.##", CultureInfo.InvariantCulture);

    internal static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;

    internal static void AppendPoint(StringBuilder points, double x, double y) =>
        points.Append(x.ToString("F1", CultureInfo.InvariantCulture)).Append(',').Append(y.ToString("F1", CultureInfo.InvariantCulture)).Append(' ');

    internal static void Append(StringBuilder svg, FormattableString line) => svg.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
