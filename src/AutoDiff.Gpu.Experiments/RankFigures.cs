using System.Diagnostics;
using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Experiments;

/// <summary>What the distributed commands share: joining the job, timing a step, and each rank's figures.</summary>
internal static class RankFigures
{
    /// <summary>Joins the job on <paramref name="deviceId"/>, or on the device the collectives choose.</summary>
    public static Collectives Join(string? deviceId) =>
        Collectives.Start(deviceId is null ? null : Device.Open(deviceId));

    /// <summary>
    /// Runs <paramref name="step"/> <paramref name="warmup"/> times untimed, then <paramref name="reps"/> times, each
    /// waited for on the device; returns each timed step's microseconds.
    /// </summary>
    public static double[] Microseconds(Device device, int warmup, int reps, Action step)
    {
        for (int i = 0; i < warmup; i++)
            step();
        device.Synchronize();
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            step();
            device.Synchronize();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return times;
    }

    /// <summary>The median of <paramref name="times"/>.</summary>
    public static double Median(IEnumerable<double> times)
    {
        var sorted = times.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Every rank's <paramref name="row"/> (of one length everywhere), in rank order, on every rank.</summary>
    public static double[][] Gather(Collectives ranks, double[] row)
    {
        using var mine = ranks.Device.FromArray(row, 1, row.Length);
        using var all = ranks.AllGather(mine);
        var flat = all.ToArray<double>();
        return [.. Enumerable.Range(0, ranks.Size).Select(r => flat[(r * row.Length)..((r + 1) * row.Length)])];
    }

    /// <summary>The element-wise sums over the ranks of <paramref name="values"/>, on every rank.</summary>
    public static double[] Sum(Collectives ranks, double[] values)
    {
        using var t = ranks.Device.FromArray(values, values.Length);
        ranks.AllReduce(t);
        return t.ToArray<double>();
    }
}
