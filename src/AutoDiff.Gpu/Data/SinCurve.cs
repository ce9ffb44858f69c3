namespace AutoDiff.Gpu.Data;

/// <summary>
/// DeZero's <c>SinCurve</c>, the book's time series for recurrent networks (steps 59–60): 1000 points
/// <c>x = linspace(0, 2π, 1000)</c> of <c>sin(x) + noise</c> (noise uniform in [−0.05, 0.05)) for training, of
/// <c>cos(x)</c> for testing. Each point's label is the next point: data y[0..998], labels y[1..999], both (999, 1).
/// </summary>
public static class SinCurve
{
    /// <summary>Points on the curve.</summary>
    public const int Points = 1000;

    /// <summary>
    /// The data and labels (999, 1) on <paramref name="device"/>, float64 as DeZero makes them. The noise is drawn
    /// from <paramref name="seed"/>, or unseeded as DeZero draws it.
    /// </summary>
    public static (Tensor X, Tensor T) Load(
        Device device, bool train = true, DType dtype = DType.Float64, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var random = seed is { } s ? new Random(s) : Random.Shared;
        var y = new double[Points];
        for (int i = 0; i < Points; i++)
        {
            double x = 2 * Math.PI * i / (Points - 1);
            double noise = -0.05 + (0.1 * random.NextDouble());
            y[i] = train ? Math.Sin(x) + noise : Math.Cos(x);
        }
        var data = device.FromArray(y[..^1], Points - 1, 1);
        var labels = device.FromArray(y[1..], Points - 1, 1);
        return dtype == DType.Float64 ? (data, labels) : (Converted(data, dtype), Converted(labels, dtype));
    }

    private static Tensor Converted(Tensor t, DType dtype)
    {
        var y = t.To(dtype);
        t.Dispose();
        return y;
    }
}
