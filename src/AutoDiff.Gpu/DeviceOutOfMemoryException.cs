namespace AutoDiff.Gpu;

/// <summary>A device allocation failed even after the release queue was drained, garbage was collected and cached blocks were returned.</summary>
public sealed class DeviceOutOfMemoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeviceOutOfMemoryException(string device, long requestedBytes, long allocatedBytes, long reservedBytes, long? limitBytes, Exception? inner)
        : base($"out of memory on {device}: requested {requestedBytes:N0} bytes with {allocatedBytes:N0} allocated and {reservedBytes:N0} reserved"
               + (limitBytes is long l ? $" (limit {l:N0})" : string.Empty)
               + (inner is null ? string.Empty : $": {inner.Message}"), inner)
    {
        RequestedBytes = requestedBytes;
        AllocatedBytes = allocatedBytes;
        ReservedBytes = reservedBytes;
    }

    /// <summary>Bytes the failed allocation asked for (after rounding to the pool's size class).</summary>
    public long RequestedBytes { get; }

    /// <summary>Bytes held by live tensors when it failed.</summary>
    public long AllocatedBytes { get; }

    /// <summary>Bytes reserved from the device when it failed.</summary>
    public long ReservedBytes { get; }
}
