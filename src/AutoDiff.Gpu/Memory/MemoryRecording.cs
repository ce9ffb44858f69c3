using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>Allocated device bytes over time, sampled at every allocation and release while it is open.</summary>
public sealed class MemoryRecording : IDisposable
{
    private readonly DeviceMemory owner;
    private readonly long start;
    private readonly Lock samplesGate = new();
    private readonly List<(double Microseconds, long Bytes)> samples = [];
    private long last;

    internal MemoryRecording(DeviceMemory owner, long allocatedNow)
    {
        this.owner = owner;
        last = allocatedNow;
        start = System.Diagnostics.Stopwatch.GetTimestamp();
        samples.Add((0, allocatedNow));
    }

    /// <summary>
    /// A copy of the samples so far: microseconds since the start and allocated bytes just after each change.
    /// Safe to read while other threads allocate.
    /// </summary>
    public IReadOnlyList<(double Microseconds, long Bytes)> Samples
    {
        get
        {
            lock (samplesGate)
                return samples.ToArray();
        }
    }

    /// <summary>Stops recording with a last sample at the stop time; the samples stay readable.</summary>
    public void Dispose()
    {
        if (owner.StopRecording(this))
            Add(Volatile.Read(ref last));
    }

    internal void Add(long bytes)
    {
        lock (samplesGate)
        {
            last = bytes;
            samples.Add((System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds, bytes));
        }
    }
}
