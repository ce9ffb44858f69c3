namespace AutoDiff.Gpu.Tests;

/// <summary>A float64 array with a shape on the host: the reference the device results are compared with.</summary>
/// <param name="Data">Row-major elements.</param>
/// <param name="Shape">The shape.</param>
public sealed record HostArray(double[] Data, Shape Shape)
{
    /// <summary>Number of elements.</summary>
    public long Length => Shape.Length;

    /// <summary>Deterministic values in [low, high) for a shape.</summary>
    public static HostArray Random(Shape shape, int seed, double low = -2, double high = 2)
    {
        var random = new Random(seed);
        var data = new double[shape.Length];
        for (long i = 0; i < data.Length; i++)
            data[i] = low + (random.NextDouble() * (high - low));
        return new HostArray(data, shape);
    }

    /// <summary>The device tensor holding these values.</summary>
    public Tensor ToTensor(Device device, DType dtype) => dtype == DType.Float64
        ? device.FromArray(Data, Shape)
        : device.FromArray(Array.ConvertAll(Data, v => (float)v), Shape);

    /// <summary>The values rounded to <paramref name="dtype"/> (what the device holds).</summary>
    public HostArray Rounded(DType dtype) => dtype == DType.Float64 ? this : this with { Data = Array.ConvertAll(Data, v => (double)(float)v) };

    /// <summary>f applied to every element.</summary>
    public HostArray Map(Func<double, double> f) => this with { Data = Array.ConvertAll(Data, v => f(v)) };

    /// <summary>f of the two arrays broadcast together, as NumPy does.</summary>
    public static HostArray Zip(HostArray a, HostArray b, Func<double, double, double> f)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        var result = new double[shape.Length];
        for (long i = 0; i < result.Length; i++)
            result[i] = f(a.Data[a.SourceIndex(shape, i)], b.Data[b.SourceIndex(shape, i)]);
        return new HostArray(result, shape);
    }

    /// <summary>This array broadcast to <paramref name="shape"/>.</summary>
    public HostArray BroadcastTo(Shape shape)
    {
        var result = new double[shape.Length];
        for (long i = 0; i < result.Length; i++)
            result[i] = Data[SourceIndex(shape, i)];
        return new HostArray(result, shape);
    }

    /// <summary>Reduction over <paramref name="axes"/> (all when empty) with <paramref name="combine"/>, NumPy's keepdims optional.</summary>
    public HostArray Reduce(int[] axes, bool keepDims, double identity, Func<double, double, double> combine)
    {
        var dims = Shape.ToArray();
        var reduced = axes.Length == 0 ? Enumerable.Range(0, dims.Length).ToHashSet() : axes.Select(a => a < 0 ? a + dims.Length : a).ToHashSet();
        var kept = dims.Select((d, i) => reduced.Contains(i) ? 1 : d).ToArray();
        var outShape = new Shape(kept);
        var result = Enumerable.Repeat(identity, (int)outShape.Length).ToArray();
        var strides = outShape.Strides();
        var index = new int[dims.Length];
        for (long i = 0; i < Data.Length; i++)
        {
            long rest = i, target = 0;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                index[d] = (int)(rest % dims[d]);
                rest /= dims[d];
            }
            for (int d = 0; d < dims.Length; d++)
                target += reduced.Contains(d) ? 0 : index[d] * strides[d];
            result[target] = combine(result[target], Data[i]);
        }
        var finalShape = keepDims ? outShape : new Shape(dims.Where((_, i) => !reduced.Contains(i)).ToArray());
        return new HostArray(result, finalShape);
    }

    /// <summary>The index into this array of element <paramref name="i"/> of <paramref name="target"/>, this array broadcast to it.</summary>
    private long SourceIndex(Shape target, long i)
    {
        long index = 0, stride = 1, rest = i;
        for (int k = 1; k <= target.Rank; k++)
        {
            int t = target[target.Rank - k];
            long coordinate = rest % t;
            rest /= t;
            if (k <= Shape.Rank)
            {
                int d = Shape[Shape.Rank - k];
                if (d != 1)
                    index += coordinate * stride;
                stride *= d;
            }
        }
        return index;
    }
}
