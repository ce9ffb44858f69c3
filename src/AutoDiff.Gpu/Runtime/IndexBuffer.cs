using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>
/// A device array of int32 indices for the gather and scatter-add kernels, rented from the device's pool as a
/// tensor's storage is: it goes back on <see cref="Release"/>, or once the GC finds it unreachable. The functions
/// that index by an array hold one for their forward and backward, so the indices cross to the device once.
/// </summary>
internal sealed class IndexBuffer
{
    private readonly Storage storage;
    private int disposed;

    /// <summary>Copies <paramref name="indices"/> (possibly none) to <paramref name="device"/>.</summary>
    public IndexBuffer(Device device, ReadOnlySpan<int> indices)
        : this(device, indices.Length)
    {
        Launch.Upload(this, indices);
    }

    /// <summary>Rents room for <paramref name="length"/> indices on <paramref name="device"/>, for a kernel to write.</summary>
    public IndexBuffer(Device device, int length)
    {
        Length = length;
        try
        {
            storage = new Storage(device, (long)length * sizeof(int));
        }
        catch (DeviceOutOfMemoryException e)
        {
            throw e.For($"{length:N0} indices:");
        }
    }

    /// <summary>Copies the indices to a new host array. Waits for pending work.</summary>
    public int[] ToArray()
    {
        var result = new int[Length];
        Launch.Download(this, result);
        return result;
    }

    /// <summary>The device holding the indices.</summary>
    public Device Device => storage.Device;

    /// <summary>Number of indices.</summary>
    public int Length { get; }

    /// <summary>The indices as a kernel argument.</summary>
    public ArrayView<int> View
    {
        get
        {
            var block = Volatile.Read(ref disposed) == 0 && !storage.Device.IsDisposed ? storage.Block : null;
            return block is null
                ? throw new ObjectDisposedException(nameof(IndexBuffer), $"{Length:N0} indices on {Device.Id} were released")
                : block.View<int>((long)Length * sizeof(int));
        }
    }

    /// <summary>Returns the block to the pool now (launches run in order: one queued before still reads it). Idempotent.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
            storage.RemoveUser();
    }
}
