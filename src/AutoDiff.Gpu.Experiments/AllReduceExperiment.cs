using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using AutoDiff.Gpu.Distributed;
using static AutoDiff.Gpu.Experiments.Units;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The <c>allreduce</c> command, run as <c>mpiexec -n 2 AutoDiff.Gpu.Experiments allreduce</c>: an all-reduce (sum)
/// of a float32 tensor between the ranks, timed beside a memcpy of the same bytes by rank 0 alone, with the
/// bandwidth of each (bytes of the tensor per second) and their ratio.
/// </summary>
internal static unsafe class AllReduceExperiment
{
    /// <summary>The allreduce command with its options.</summary>
    public static Command Command()
    {
        var mib = new Option<int>("--mib") { Description = "Size of the tensor in MiB (default 256).", DefaultValueFactory = _ => 256 };
        var reps = new Option<int>("--reps") { Description = "Timed all-reduces and copies (default 5).", DefaultValueFactory = _ => 5 };
        var device = new Option<string>("--device") { Description = "The device each rank reduces on (default cpu).", DefaultValueFactory = _ => "cpu" };
        mib.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 8191) r.AddError("--mib: give 1 to 8191"); });
        reps.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--reps: give 1 or more"); });
        var command = new Command("allreduce", "Under mpiexec: an all-reduce of a float32 tensor timed beside a memcpy of the same bytes.")
        {
            mib, reps, device,
        };
        command.SetAction(r => Run(r.GetValue(mib), r.GetValue(reps), r.GetValue(device)!));
        return command;
    }

    private static int Run(int mib, int reps, string deviceId)
    {
        long bytes = mib * (1L << 20);
        int elements = (int)(bytes / sizeof(float));
        using var device = Device.Open(deviceId);
        using var c = Collectives.Start(device);
        var t = device.Full(new Shape(elements), c.Rank + 1, DType.Float32);
        var reduce = new double[reps];
        c.AllReduce(t); // warm-up: every rank now holds n(n+1)/2
        for (int i = 0; i < reps; i++)
        {
            c.Barrier();
            long start = Stopwatch.GetTimestamp();
            c.AllReduce(t);
            reduce[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        double expected = c.Size * (c.Size + 1) / 2.0 * Math.Pow(c.Size, reps);
        bool right = t.ToArray<float>() is var values && values[0] == expected && values[^1] == expected;

        // The memcpy runs on rank 0 while the others wait: the machine's copy bandwidth, undisturbed.
        c.Barrier();
        double[] copy = c.IsRoot ? TimeCopies(bytes, reps) : [];
        c.Barrier();
        if (c.IsRoot)
        {
            double reduceRate = bytes / Median(reduce) / 1e3;
            double copyRate = bytes / Median(copy) / 1e3;
            Console.WriteLine(Invariant($"all-reduce (sum) of {Bytes(bytes)} float32, {c.Size} ranks, {c.Backend} on {device.Id}: median {Duration(Median(reduce))}, best {Duration(reduce.Min())}, {reduceRate:F2} GB/s"));
            Console.WriteLine(Invariant($"memcpy of {Bytes(bytes)}, rank 0 alone: median {Duration(Median(copy))}, best {Duration(copy.Min())}, {copyRate:F2} GB/s"));
            Console.WriteLine(Invariant($"all-reduce / memcpy bandwidth: {100 * reduceRate / copyRate:F1} % (target 25 %); result {(right ? "right" : "WRONG")}"));
        }
        return right ? 0 : Program.WrongResult;
    }

    /// <summary>Microseconds of each of <paramref name="reps"/> copies of <paramref name="bytes"/> between two host buffers.</summary>
    private static double[] TimeCopies(long bytes, int reps)
    {
        byte* from = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        byte* to = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            // Touch both first, so that no copy pays for the pages' first use.
            NativeMemory.Fill(from, (nuint)bytes, 1);
            NativeMemory.Fill(to, (nuint)bytes, 0);
            var times = new double[reps];
            for (int i = 0; i < reps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Buffer.MemoryCopy(from, to, bytes, bytes);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            return times;
        }
        finally
        {
            NativeMemory.AlignedFree(from);
            NativeMemory.AlignedFree(to);
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
