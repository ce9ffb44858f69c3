namespace AutoDiff.Gpu.Data;

/// <summary>
/// DeZero's <c>get_spiral</c>: three arms of 100 points each in the plane, the classic small classification set of the
/// book's steps 47–50. Point i of arm j has radius r = i/100 and angle 4j + 4r + 0.2·ε (ε standard normal); the points
/// are shuffled. DeZero's seeds (1984 for training, 2020 for test) seed .NET's generator here, so the noise differs
/// from DeZero's draw but not its distribution.
/// </summary>
public static class Spiral
{
    /// <summary>Points per arm.</summary>
    public const int PointsPerClass = 100;

    /// <summary>Arms (classes).</summary>
    public const int Classes = 3;

    /// <summary>The points (300, 2) as float32 on <paramref name="device"/> (or <paramref name="dtype"/>), and their arms.</summary>
    public static (Tensor X, int[] T) Load(Device device, bool train = true, DType dtype = Device.DefaultDType)
    {
        ArgumentNullException.ThrowIfNull(device);
        var random = new Random(train ? 1984 : 2020);
        int n = Classes * PointsPerClass;
        var x = new double[n * 2];
        var t = new int[n];
        for (int j = 0; j < Classes; j++)
        {
            for (int i = 0; i < PointsPerClass; i++)
            {
                double rate = i / (double)PointsPerClass;
                double theta = (j * 4.0) + (4.0 * rate) + (Normal(random) * 0.2);
                int ix = (PointsPerClass * j) + i;
                (x[2 * ix], x[(2 * ix) + 1]) = (rate * Math.Sin(theta), rate * Math.Cos(theta));
                t[ix] = j;
            }
        }
        var order = Enumerable.Range(0, n).ToArray();
        random.Shuffle(order);
        var shuffled = new double[n * 2];
        for (int k = 0; k < n; k++)
            (shuffled[2 * k], shuffled[(2 * k) + 1]) = (x[2 * order[k]], x[(2 * order[k]) + 1]);
        var data = device.FromArray(shuffled, n, 2);
        return (dtype == DType.Float64 ? data : data.To(dtype), Array.ConvertAll(order, k => t[k]));
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
