namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Small values that the ranks agree on (a seed, whether a step failed somewhere), each one collective on a tensor of
/// a few float64 elements: exact for counts and for integers up to 2⁵³.
/// </summary>
internal static class Agreement
{
    /// <summary>The element-wise sums of every rank's <paramref name="values"/> (one length everywhere).</summary>
    public static double[] Sum(this Collectives collectives, double[] values)
    {
        using var t = collectives.Device.FromArray(values, values.Length);
        collectives.AllReduce(t);
        return t.ToArray<double>();
    }

    /// <summary>The number of ranks that passed true; returns once every rank has called it, as a barrier.</summary>
    public static int Count(this Collectives collectives, bool value) =>
        (int)collectives.Sum([value ? 1 : 0])[0];

    /// <summary>Rank 0's <paramref name="value"/>, on every rank.</summary>
    public static double FromRoot(this Collectives collectives, double value)
    {
        using var t = collectives.Device.FromArray([value], 1);
        collectives.Broadcast(t);
        return t.ToArray<double>()[0];
    }
}
