using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using AutoDiff.Gpu.Distributed;
using static AutoDiff.Gpu.Experiments.Units;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The <c>allreduce</c> command, run as <c>mpiexec -n 2 AutoDiff.Gpu.Experiments allreduce</c>: an all-reduce (sum)
/// of a float32 tensor between the ranks, each followed by a memcpy of the same bytes by rank 0 alone (so that both
/// see the same load), with the bandwidth of each (bytes of the tensor per second) and their ratio.

/// </summary>
internal static unsafe class AllReduceExperiment
{
    /// <summary>The allreduce command with its options.</summary>
    public static Command Command()
    {
        var mib = Number("--mib", "Size of the tensor in MiB (default 256).", 256, most: 8191);
        var reps = Number("--reps", "Timed all-reduces and copies (default 5).", 5, most: 1000);
        var device = new Option<string>("--device")
        {
            Description = "The device each rank reduces on (default cpu).",
            DefaultValueFactory = _ => "cpu",
        };
        string about = "Under mpiexec: an all-reduce of a float32 tensor timed beside a memcpy of the same bytes.";
        var command = new Command("allreduce", about) { mib, reps, device };
        command.SetAction(r => Run(r.GetValue(mib) * (1L << 20), r.GetValue(reps), r.GetValue(device)!));
        return command;
    }

    private static int Run(long bytes, int reps, string deviceId)
    {
        using var device = Device.Open(deviceId);
        using var c = Collectives.Start(device);
        var t = device.Full(new Shape((int)(bytes / sizeof(float))), c.Rank + 1, DType.Float32);
        using var copy = c.IsRoot ? new HostCopy(bytes) : null;
        c.AllReduce(t); // warm-up
        copy?.Run();
        float expected = c.Size * (c.Size + 1) / 2f;
        var reduceTimes = new double[reps];
        var copyTimes = new double[reps];
        // Each all-reduce is followed by a memcpy on rank 0 while the others wait: both see the same load.
        for (int i = 0; i < reps; i++)
        {
            c.Barrier();
            long start = Stopwatch.GetTimestamp();
            c.AllReduce(t);
            reduceTimes[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            expected *= c.Size; // every rank holds the same value: the sum is exact until it overflows
            c.Barrier();
            copyTimes[i] = copy?.Run() ?? 0;
        }
        var values = t.ToArray<float>();
        bool right = values[0].Equals(expected) && values[^1].Equals(expected);
        c.Barrier();
        if (c.IsRoot)
        {
            string reduced = $"all-reduce (sum) of {Bytes(bytes)} float32, {c.Size} ranks, {c.Backend} on {device.Id}";
            Console.WriteLine($"{reduced}: {Times(reduceTimes, bytes)}");
            Console.WriteLine($"memcpy of {Bytes(bytes)}, rank 0 alone: {Times(copyTimes, bytes)}");
            double ratio = Median(copyTimes) / Median(reduceTimes);
            string result = right ? "result right" : "result WRONG";
            Console.WriteLine(Invariant($"all-reduce / memcpy bandwidth: {100 * ratio:F1} % (target 25 %); {result}"));
        }
        return right ? 0 : Program.WrongResult;
    }

    /// <summary>Median and best of <paramref name="times"/> (µs), and the bandwidth of the median in GB/s.</summary>
    private static string Times(double[] times, long bytes)
    {
        double median = Median(times);
        return Invariant($"median {Duration(median)}, best {Duration(times.Min())}, {bytes / median / 1e3:F2} GB/s");
    }


    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }

    /// <summary>An option of a whole number from 1 to <paramref name="most"/>.</summary>
    private static Option<int> Number(string name, string description, int fallback, int most)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
        option.Validators.Add(r =>
        {
            int value = r.GetValueOrDefault<int>();
            if (value < 1 || value > most)
                r.AddError($"{name}: give 1 to {most}");
        });
        return option;
    }

    /// <summary>Two host buffers of the tensor's size, touched once, and a timed copy between them.</summary>
    private sealed class HostCopy : IDisposable
    {
        private readonly long bytes;
        private byte* from;
        private byte* to;

        public HostCopy(long bytes)
        {
            this.bytes = bytes;
            from = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            to = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            // Touch both first, so that no copy pays for the pages' first use.
            NativeMemory.Fill(from, (nuint)bytes, 1);
            NativeMemory.Fill(to, (nuint)bytes, 0);
        }

        /// <summary>Copies the bytes once; returns the microseconds it took.</summary>
        public double Run()
        {
            long start = Stopwatch.GetTimestamp();
            Buffer.MemoryCopy(from, to, bytes, bytes);
            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(from);
            NativeMemory.AlignedFree(to);
            from = to = null;
        }
    }
}
