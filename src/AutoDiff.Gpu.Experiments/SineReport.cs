using System.Globalization;
using System.Text;
using System.Text.Json;
using static AutoDiff.Gpu.Experiments.SvgChart;

namespace AutoDiff.Gpu.Experiments;

/// <summary>Writes a <c>sine</c> run: the loss curve and the time per iteration as a table, CSV or JSON, and the curve as SVG.</summary>
internal static class SineReport
{
    private const string Network = "y = linear(sigmoid(linear(x, W1, b1)), W2, b2), 1 -> 10 -> 1";

    public static void Write(TextWriter output, SineResult result)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        var o = result.Options;
        var (passed, check) = result.Verdict();
        switch (o.Format)
        {
            case OutputFormat.Csv:
                output.WriteLine("device,device_name,matmul,dtype,learning_rate,iterations,warmup,seconds,us_per_iteration,iteration,loss,numpy_loss,check");
                foreach (var p in result.Shown)
                {
                    output.WriteLine(Units.Invariant(
                        $"{result.DeviceId},{Report.Csv(result.DeviceName)},{result.MatMul},{o.DType.Name()},{o.LearningRate},{o.Iterations},{o.Warmup},{result.Seconds:F6},{result.MicrosecondsPerIteration:F3},{p.Iteration},{p.Loss:R},{(p.Reference is { } r ? r.ToString("R", CultureInfo.InvariantCulture) : string.Empty)},{Report.Csv(check)}"));
                }
                break;
            case OutputFormat.Json:
                Report.WriteJson(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("experiment", $"DeZero step 43: {Network}, sin(2 pi x) + noise on 100 points, gradient descent");
                    w.WriteStartObject("device");
                    w.WriteString("id", result.DeviceId);
                    w.WriteString("name", result.DeviceName);
                    w.WriteString("matmul", result.MatMul);
                    w.WriteEndObject();
                    w.WriteString("dtype", o.DType.Name());
                    w.WriteNumber("learningRate", o.LearningRate);
                    w.WriteNumber("iterations", o.Iterations);
                    w.WriteNumber("warmup", o.Warmup);
                    w.WriteNumber("seconds", Math.Round(result.Seconds, 6));
                    w.WriteNumber("microsecondsPerIteration", Math.Round(result.MicrosecondsPerIteration, 3));
                    JsonNumber(w, "finalLoss", result.FinalLoss);
                    w.WriteStartArray("curve");
                    foreach (var p in result.Shown)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("iteration", p.Iteration);
                        JsonNumber(w, "loss", p.Loss);
                        if (p.Reference is { } r)
                            w.WriteNumber("numpyLoss", r);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteString("check", check);
                    w.WriteBoolean("passed", passed);
                    w.WriteEndObject();
                });
                break;
            default:
                output.WriteLine($"DeZero step 43: {Network}, fitted to sin(2 pi x) + noise on 100 points; gradient descent, lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}; {o.DType.Name()}");
                output.WriteLine(Units.Invariant($"device {result.DeviceId} ({result.DeviceName}); matmul {result.MatMul}; {o.Warmup} warm-up iterations on a copy of the model, then {o.Iterations:N0} timed"));
                output.WriteLine();
                var rows = result.Shown.Select(p => new[]
                {
                    p.Iteration.ToString(CultureInfo.InvariantCulture),
                    p.Loss.ToString("F6", CultureInfo.InvariantCulture),
                    p.Reference?.ToString("F6", CultureInfo.InvariantCulture) ?? "-",
                }).ToList();
                Report.WriteTable(output, ["iteration", "loss", "NumPy float64"], rows, [0, 1, 2]);
                output.WriteLine();
                output.WriteLine(Units.Invariant(
                    $"{o.Iterations:N0} iterations in {result.Seconds:F3} s: {Units.Duration(result.MicrosecondsPerIteration)} per iteration; final loss {result.FinalLoss:F6}; check {(passed ? check : "FAILED: " + check)}"));
                break;
        }
    }

    /// <summary>A number, or null when it is not finite (JSON has no NaN): a diverging run's loss.</summary>
    private static void JsonNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
            w.WriteNumber(name, value);
        else
            w.WriteNull(name);
    }

    /// <summary>An SVG line chart of the loss over the iterations, NumPy's losses as dots and the book's 0.1 as a dashed line.</summary>
    public static string Chart(SineResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        const double width = 900, height = 480, left = 80, right = 30, top = 80, bottom = 60;
        double plotWidth = width - left - right, plotHeight = height - top - bottom;
        var curve = result.Curve;
        double lastIteration = Math.Max(1, curve[^1].Iteration);
        double highest = Math.Max(SineModel.Threshold, curve.Where(p => double.IsFinite(p.Loss)).Select(p => p.Loss).DefaultIfEmpty(1).Max());
        double lossStep = NiceStep(highest / 6);
        double lossTop = Math.Ceiling(highest / lossStep) * lossStep;
        double iterationStep = NiceStep(lastIteration / 8);
        double X(double iteration) => left + (iteration / lastIteration * plotWidth);
        double Y(double loss) => top + plotHeight - (Math.Clamp(loss, 0, lossTop) / lossTop * plotHeight);

        var svg = new StringBuilder();
        Append(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">");
        Append(svg, $"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Append(svg, $"<text x=\"{width / 2}\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">Loss of the step-43 network during training</text>");
        Append(svg, $"<text x=\"{width / 2}\" y=\"48\" text-anchor=\"middle\" fill=\"#444\">{Escape($"{result.Options.DType.Name()} on {result.DeviceId} ({result.DeviceName}); lr {result.Options.LearningRate.ToString(CultureInfo.InvariantCulture)}; {Units.Duration(result.MicrosecondsPerIteration)} per iteration; final loss {result.FinalLoss.ToString("F6", CultureInfo.InvariantCulture)}")}</text>");
        Append(svg, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"#fafafa\" stroke=\"#888\"/>");
        for (double v = 0; v <= lossTop * 1.0001; v += lossStep)
        {
            Append(svg, $"<line x1=\"{left}\" y1=\"{Y(v):F1}\" x2=\"{left + plotWidth}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/>");
            Append(svg, $"<text x=\"{left - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{Number(v)}</text>");
        }
        for (double i = 0; i <= lastIteration * 1.0001; i += iterationStep)
        {
            Append(svg, $"<line x1=\"{X(i):F1}\" y1=\"{top}\" x2=\"{X(i):F1}\" y2=\"{top + plotHeight}\" stroke=\"#eee\"/>");
            Append(svg, $"<text x=\"{X(i):F1}\" y=\"{top + plotHeight + 16}\" text-anchor=\"middle\">{Number(i)}</text>");
        }
        Append(svg, $"<text x=\"{left + (plotWidth / 2)}\" y=\"{height - 18}\" text-anchor=\"middle\">iteration</text>");
        Append(svg, $"<text transform=\"translate({left - 50},{top + (plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">mean squared error</text>");
        Append(svg, $"<line x1=\"{left}\" y1=\"{Y(SineModel.Threshold):F1}\" x2=\"{left + plotWidth}\" y2=\"{Y(SineModel.Threshold):F1}\" stroke=\"#d62728\" stroke-dasharray=\"5,4\"/>");
        Append(svg, $"<text x=\"{left + plotWidth - 6}\" y=\"{Y(SineModel.Threshold) - 5:F1}\" text-anchor=\"end\" fill=\"#d62728\">0.1</text>");

        var points = new StringBuilder();
        foreach (var p in curve.Where(p => double.IsFinite(p.Loss)))
            AppendPoint(points, X(p.Iteration), Y(p.Loss));
        Append(svg, $"<polyline points=\"{points.ToString().TrimEnd()}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>");
        foreach (var p in curve.Where(p => p.Reference is not null))
            Append(svg, $"<circle cx=\"{X(p.Iteration):F1}\" cy=\"{Y(p.Reference!.Value):F1}\" r=\"4\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>");
        Append(svg, $"<line x1=\"{left + 10}\" y1=\"{top - 14}\" x2=\"{left + 34}\" y2=\"{top - 14}\" stroke=\"#1f77b4\" stroke-width=\"3\"/>");
        Append(svg, $"<text x=\"{left + 40}\" y=\"{top - 10}\">this run</text>");
        Append(svg, $"<circle cx=\"{left + 122}\" cy=\"{top - 14}\" r=\"4\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>");
        Append(svg, $"<text x=\"{left + 132}\" y=\"{top - 10}\">NumPy float64 (baselines/dezero_numpy_sine.py)</text>");
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
