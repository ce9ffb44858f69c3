namespace AutoDiff.Gpu;

/// <summary>A device allocation failed even after garbage was collected and cached blocks were returned to the device.</summary>
public sealed class DeviceOutOfMemoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeviceOutOfMemoryException(string device, long requestedBytes, long allocatedBytes, long reservedBytes, long? limitBytes, Exception? inner, string? reason = null)
        : this(null, device, requestedBytes, allocatedBytes, reservedBytes, limitBytes, inner, reason)
    {
    }

    private DeviceOutOfMemoryException(string? what, string device, long requestedBytes, long allocatedBytes, long reservedBytes, long? limitBytes, Exception? inner, string? reason)
        : base($"out of memory on {device}: {what}requested {requestedBytes:N0} bytes with {allocatedBytes:N0} allocated and {reservedBytes:N0} reserved"
               + (limitBytes is long l ? $" (limit {l:N0})" : string.Empty)
               + (reason is null ? string.Empty : $": {reason}")
               + (inner is null ? string.Empty : $": {inner.Message}"), inner)
    {
        Device = device;
        RequestedBytes = requestedBytes;
        AllocatedBytes = allocatedBytes;
        ReservedBytes = reservedBytes;
        LimitBytes = limitBytes;
        Reason = reason;
    }

    /// <summary>The device, as <c>cuda:0</c>.</summary>
    public string Device { get; }

    /// <summary>Bytes the failed allocation asked for (after rounding to the pool's size class).</summary>
    public long RequestedBytes { get; }

    /// <summary>Bytes held by tensors when it failed.</summary>
    public long AllocatedBytes { get; }

    /// <summary>Bytes reserved from the device when it failed.</summary>
    public long ReservedBytes { get; }

    /// <summary>The pool's limit when it failed, if any.</summary>
    public long? LimitBytes { get; }

    /// <summary>Why, when known beyond the numbers.</summary>
    public string? Reason { get; }

    /// <summary>The same failure, naming what the bytes were for (a tensor's shape and type).</summary>
    internal DeviceOutOfMemoryException For(string what) =>
        new($"{what} ", Device, RequestedBytes, AllocatedBytes, ReservedBytes, LimitBytes, InnerException, Reason);
}
