using System.Globalization;

namespace AutoDiff.Gpu.Distributed.Runner;

/// <summary>
/// Each rank's inputs and the one-process computation they are checked against. Values are halves from −4 to 4:
/// exact in float32, so sums and maxima over up to 4 ranks are exact whatever order MPI or NCCL adds them in.
/// </summary>
internal static class Values
{
    /// <summary>Element <paramref name="i"/> of rank <paramref name="rank"/>'s input in case <paramref
    /// name="salt"/>.</summary>
    public static double Of(int rank, long i, int salt) => ((((i * 7) + (rank * 13) + salt) % 17) - 8) * 0.5;

    /// <summary>Rank <paramref name="rank"/>'s input of a case, on <paramref name="device"/>.</summary>
    public static Tensor Make(Device device, DType dtype, Shape shape, int rank, int salt)
    {
        var data = new double[shape.Length];
        for (long i = 0; i < data.Length; i++)
            data[i] = Of(rank, i, salt);
        return dtype == DType.Float64
            ? device.FromArray(data, shape)
            : device.FromArray(Array.ConvertAll(data, v => (float)v), shape);

    }

    /// <summary>The reduction over <paramref name="size"/> ranks of their element <paramref name="i"/>, as one
    /// process computes it.</summary>
    public static double Reduce(ReduceOp op, int size, long i, int salt)
    {
        double result = Of(0, i, salt);
        for (int r = 1; r < size; r++)
            result = op == ReduceOp.Max ? Math.Max(result, Of(r, i, salt)) : result + Of(r, i, salt);
        return op == ReduceOp.Mean ? result * (1.0 / size) : result;
    }

    /// <summary>Throws <see cref="WrongResultException"/> at the first element of <paramref name="actual"/> that
    /// differs.</summary>
    public static void Expect(string what, Shape shape, double[] expected, Tensor actual)
    {
        if (!actual.Shape.Equals(shape))
            throw new WrongResultException($"{what}: shape {actual.Shape}, expected {shape}");
        var got = actual.ToDoubleArray();
        for (int i = 0; i < expected.Length; i++)
        {
            if (got[i].CompareTo(expected[i]) != 0)
                throw new WrongResultException($"{what}: element {i} is {Text(got[i])}, expected {Text(expected[i])}");
        }
    }

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
