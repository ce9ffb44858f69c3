using System.Diagnostics;

namespace AutoDiff.Gpu.Distributed.Runner;

/// <summary>
/// Scenarios that must end the job with an error, never hang it: the last rank disagrees, throws, or dies while
/// the others wait for it in an all-reduce.
/// </summary>
internal static class Failures
{
    /// <summary>The last rank passes one more element, or float64 where the others pass float32.</summary>
    public static string Mismatch(Collectives c, bool shape)
    {
        bool last = c.Rank == c.Size - 1;
        var dims = new Shape(shape && last ? 11 : 10);
        var dtype = !shape && last ? DType.Float64 : DType.Float32;
        c.AllReduce(Values.Make(c.Device, dtype, dims, c.Rank, 0));
        return "the ranks agreed (expected them not to)";
    }

    public static string Throw(Collectives c) =>
        Waiting(c, () => throw new InvalidOperationException($"rank {c.Rank} fails on purpose"));

    public static string Kill(Collectives c) => Waiting(c, () => Process.GetCurrentProcess().Kill());

    public static string FailFast(Collectives c) =>
        Waiting(c, () => Environment.FailFast($"rank {c.Rank} ends itself on purpose"));


    /// <summary>The other ranks enter an all-reduce; the last one does <paramref name="fail"/> instead.</summary>
    private static string Waiting(Collectives c, Action fail)
    {
        c.Barrier();
        if (c.Rank == c.Size - 1)
        {
            Console.WriteLine($"rank {c.Rank} fails now");
            Thread.Sleep(300); // the others are waiting in the all-reduce by now
            fail();
        }
        c.AllReduce(c.Device.Ones(4));
        return "the job went on (expected it to end)";
    }
}
