namespace AutoDiff.Gpu;

/// <summary>The kinds of accelerator, in the order <see cref="Device.Best"/> prefers them.</summary>
public enum DeviceKind
{
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,

    /// <summary>An OpenCL 2.0 device (with the generic address space ILGPU needs).</summary>
    OpenCL,

    /// <summary>ILGPU's CPU accelerator: kernels run as .NET code on the machine's cores.</summary>
    Cpu,
}

/// <summary>A device that is present.</summary>
/// <param name="Kind">The accelerator kind.</param>
/// <param name="Index">Index among the devices of that kind.</param>
/// <param name="Name">The device's own name.</param>
/// <param name="MemoryBytes">Its memory in bytes (for the CPU accelerator, the machine's).</param>
public sealed record DeviceInfo(DeviceKind Kind, int Index, string Name, long MemoryBytes)
{
    /// <summary>The identifier accepted by <see cref="Device.Open(string)"/>: <c>cuda:0</c>, <c>opencl:0</c>, <c>cpu:0</c>.</summary>
    public string Id => Device.FormatId(Kind, Index);

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Name}, {MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB)";
}

/// <summary>The requested device is not present.</summary>
public sealed class DeviceNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeviceNotFoundException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the one it restates.</summary>
    public DeviceNotFoundException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
