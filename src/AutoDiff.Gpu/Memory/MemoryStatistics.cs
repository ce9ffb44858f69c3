using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>A snapshot of a device's memory statistics.</summary>
/// <param name="AllocatedBytes">Bytes held by tensors not yet known to be unreachable (in pool size classes).</param>
/// <param name="PeakAllocatedBytes">Highest <paramref name="AllocatedBytes"/> since the device was opened or <see cref="DeviceMemory.ResetPeak"/>.</param>
/// <param name="ReservedBytes">Bytes reserved from the device: allocated plus cached.</param>
/// <param name="DeviceAllocations">Allocations that reached the device (cache misses).</param>
/// <param name="CachedAllocations">Allocations served from the cache.</param>
/// <param name="EphemeralCollections">Generation-1 garbage collections the pool started to find unreachable tensors.</param>
/// <param name="FullCollections">Full (generation-2) garbage collections the pool started: only when ephemeral ones could not find enough, or before failing an allocation.</param>
/// <param name="ReclaimedTensors">Tensors whose blocks the pool took back after the GC found them unreachable (not counting disposed ones).</param>
public readonly record struct MemoryStatistics(
    long AllocatedBytes,
    long PeakAllocatedBytes,
    long ReservedBytes,
    long DeviceAllocations,
    long CachedAllocations,
    long EphemeralCollections,
    long FullCollections,
    long ReclaimedTensors)
{
    /// <summary>Reserved bytes not held by any tensor.</summary>
    public long CachedBytes => ReservedBytes - AllocatedBytes;

    /// <summary>All collections the pool started.</summary>
    public long Collections => EphemeralCollections + FullCollections;
}
