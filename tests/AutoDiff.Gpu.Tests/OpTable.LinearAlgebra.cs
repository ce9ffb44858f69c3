using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Rows of matrix products and losses.</summary>
public static partial class OpTable
{
    /// <summary>(rows, inner, columns) of products: one element, sizes that are not multiples of a tile or register block, a long inner dimension.</summary>
    private static readonly (int M, int K, int N)[] Products = [(1, 1, 1), (3, 4, 5), (7, 33, 65), (70, 130, 9), (2, 1000, 3)];

    private static IEnumerable<OpCase> LinearAlgebraRows()
    {
        // Positive inputs: float32 sums of many products then carry no cancellation, so the forward tolerance
        // (relative to the result) holds for inner dimensions up to 1000.
        foreach (var (m, k, n) in Products)
        {
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                if ((ta || tb) && m * k * n > 10_000)
                    continue;
                var a = ta ? new Shape(k, m) : new Shape(m, k);
                var b = tb ? new Shape(n, k) : new Shape(k, n);
                string name = ta || tb ? $"MatMul({(ta ? "T" : "N")}{(tb ? "T" : "N")})" : "MatMul";
                yield return new OpCase(name, v => ta || tb ? MatMul(v[0], v[1], ta, tb) : MatMul(v[0], v[1]), h => Product(h[0], h[1], ta, tb), [a, b], 0.5, 1.5);
            }
        }
        foreach (var (m, k, n) in new[] { (1, 1, 1), (100, 1, 10), (100, 10, 1), (7, 33, 65) })
        {
            yield return new OpCase("Linear", v => Linear(v[0], v[1], v[2]), h => HostArray.Zip(Product(h[0], h[1]), h[2], (p, c) => p + c), [new(m, k), new(k, n), new(n)], 0.5, 1.5);
            yield return new OpCase("Linear", v => Linear(v[0], v[1], v[2]), h => HostArray.Zip(Product(h[0], h[1]), h[2], (p, c) => p + c), [new(m, k), new(k, n), new(1, n)], 0.5, 1.5);
            yield return new OpCase("Linear", v => Linear(v[0], v[1]), h => Product(h[0], h[1]), [new(m, k), new(k, n)], 0.5, 1.5);
        }
        foreach (var shape in new[] { new Shape(1), new Shape(7), new Shape(100, 1), new Shape(3, 4), new Shape(1000, 7) })
        {
            yield return new OpCase("MeanSquaredError", v => MeanSquaredError(v[0], v[1]),
                h => HostArray.Zip(h[0], h[1], (a, b) => (a - b) * (a - b)).Reduce([], false, 0, (a, b) => a + b).Map(s => s / shape[0]), [shape, shape]);
        }
        foreach (var shape in new[] { new Shape(1), new Shape(7), new Shape(100, 1), new Shape(3, 4) })
        {
            // Targets drawn from the same range as the logits: the formula, and its gradient in t, hold for any t.
            yield return new OpCase("SigmoidCrossEntropy", v => SigmoidCrossEntropy(v[0], v[1]),
                h => HostArray.Zip(h[0], h[1], (x, t) => Math.Max(x, 0) - (x * t) + Math.Log(1 + Math.Exp(-Math.Abs(x)))).Reduce([], false, 0, (a, b) => a + b).Map(s => s / shape[0]), [shape, shape], -3, 3);
            yield return new OpCase("BinaryCrossEntropy", v => BinaryCrossEntropy(v[0], v[1]),
                h => HostArray.Zip(h[0], h[1], (p, t) => (t * Math.Log(p)) + ((1 - t) * Math.Log(1 - p))).Reduce([], false, 0, (a, b) => a + b).Map(s => -s / shape[0]), [shape, shape], 0.05, 0.95);
        }
        foreach (var (shape, axis) in new[] { (new Shape(7), -1), (new Shape(3, 4), -1), (new Shape(3, 4), 0), (new Shape(2, 3, 4), 1), (new Shape(7, 1000), -1), (new Shape(1000, 3), 0) })
        {
            yield return new OpCase($"Softmax(axis {axis})", v => Softmax(v[0], axis), h => SoftmaxOf(h[0], axis), [shape], -3, 3);
            yield return new OpCase($"LogSoftmax(axis {axis})", v => LogSoftmax(v[0], axis), h => SoftmaxOf(h[0], axis).Map(Math.Log), [shape], -3, 3);
        }
        foreach (var shape in new[] { new Shape(5), new Shape(2, 3, 4), new Shape(7, 1, 3) })
        {
            yield return new OpCase("Flatten", v => Flatten(v[0]), h => Reshaped(h[0], new Shape(shape[0], (int)(shape.Length / shape[0]))), [shape]);
            yield return new OpCase("ExpandDims(-1)", v => ExpandDims(v[0], -1), h => Reshaped(h[0], new Shape([.. shape.ToArray(), 1])), [shape]);
            yield return new OpCase("ExpandDims(1)", v => ExpandDims(v[0], 1), h => Reshaped(h[0], new Shape([shape[0], 1, .. shape.ToArray()[1..]])), [shape]);
        }
        foreach (var shape in new[] { new Shape(4, 3), new Shape(7, 2, 5), new Shape(2, 3, 4, 5), new Shape(100, 7) })
        {
            var channels = new Shape(shape[1]);
            yield return new OpCase("BatchNorm(train)", v => BatchNorm(v[0], v[1], v[2], v[0].Data.Device.Zeros(channels, v[0].DType), v[0].Data.Device.Ones(channels, v[0].DType)),
                h => BatchNormOf(h[0], h[1], h[2], 2e-5), [shape, channels, channels]);
        }
        foreach (var (n, c) in new[] { (1, 1), (3, 4), (7, 10), (100, 5), (2, 1000) })
        {
            int[] t = Enumerable.Range(0, n).Select(i => ((i * 7) + 3) % c).ToArray();
            yield return new OpCase("SoftmaxCrossEntropy", v => SoftmaxCrossEntropy(v[0], t), h => CrossEntropyOf(h[0], t), [new(n, c)], -3, 3);
        }
    }

    /// <summary>γ·(x − μ)/√(σ² + ε) + β per channel (axis 1), μ and σ² (biased) over every other axis, on the host.</summary>
    public static HostArray BatchNormOf(HostArray x, HostArray gamma, HostArray beta, double eps)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        int c = x.Shape[1];
        long inner = x.Length / x.Shape[0] / c;
        int Channel(long i) => (int)(i / inner % c);
        var sum = new double[c];
        var count = new double[c];
        for (long i = 0; i < x.Length; i++)
        {
            sum[Channel(i)] += x.Data[i];
            count[Channel(i)]++;
        }
        var mean = sum.Select((s, k) => s / count[k]).ToArray();
        var variance = new double[c];
        for (long i = 0; i < x.Length; i++)
            variance[Channel(i)] += (x.Data[i] - mean[Channel(i)]) * (x.Data[i] - mean[Channel(i)]) / count[Channel(i)];
        var y = new double[x.Length];
        for (long i = 0; i < x.Length; i++)
        {
            int k = Channel(i);
            y[i] = (gamma.Data[k] * (x.Data[i] - mean[k]) / Math.Sqrt(variance[k] + eps)) + beta.Data[k];
        }
        return new HostArray(y, x.Shape);
    }

    /// <summary>−(1/N)·Σᵢ log softmax(x)[i, tᵢ] on the host.</summary>
    public static HostArray CrossEntropyOf(HostArray x, int[] t)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        var p = SoftmaxOf(x, 1);
        int c = x.Shape[1];
        double sum = 0;
        for (int i = 0; i < t.Length; i++)
            sum -= Math.Log(p.Data[(i * c) + t[i]]);
        return new HostArray([sum / t.Length], Shape.Scalar);
    }

    /// <summary>The softmax along <paramref name="axis"/> on the host, from the max as the device computes it.</summary>
    public static HostArray SoftmaxOf(HostArray x, int axis)
    {
        ArgumentNullException.ThrowIfNull(x);
        var max = x.Reduce([axis], true, double.NegativeInfinity, Math.Max);
        var e = HostArray.Zip(x, max, (a, m) => Math.Exp(a - m));
        return HostArray.Zip(e, e.Reduce([axis], true, 0, (a, b) => a + b), (a, s) => a / s);
    }

    /// <summary>op(a)·op(b) on the host, op the transpose where asked.</summary>
    public static HostArray Product(HostArray a, HostArray b, bool transposeA = false, bool transposeB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int m = transposeA ? a.Shape[1] : a.Shape[0], k = transposeA ? a.Shape[0] : a.Shape[1];
        int n = transposeB ? b.Shape[0] : b.Shape[1];
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += a.Data[transposeA ? (p * m) + i : (i * k) + p] * b.Data[transposeB ? (j * k) + p : (p * n) + j];
                c[(i * n) + j] = sum;
            }
        }
        return new HostArray(c, new Shape(m, n));
    }
}
