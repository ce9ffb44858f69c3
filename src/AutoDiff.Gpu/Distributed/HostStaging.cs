using System.Runtime.InteropServices;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Host memory for MPI to read and write. The CPU accelerator's buffers are host memory: MPI gets their addresses.
/// A GPU's memory is copied through a host buffer, a chunk at a time.
/// </summary>
internal sealed unsafe class HostStaging(Device device) : IDisposable
{
    private byte* scratch;
    private long scratchBytes;

    /// <summary>
    /// True on the CPU accelerator, where MPI works on the tensors' own memory. Tests turn it off there to take
    /// the path of other devices.
    /// </summary>
    public bool Direct { get; set; } = device.Kind == DeviceKind.Cpu;

    /// <summary>
    /// The host address of element <paramref name="offset"/> of <paramref name="tensor"/> where it lives in host
    /// memory; null on other devices. Call <see cref="Device.Synchronize"/> first: no kernel may still write it.
    /// </summary>
    public byte* Address(Tensor tensor, long offset) =>
        Direct ? (byte*)CpuLaunch.Pointer(tensor.View<byte>()) + (offset * tensor.DType.Size()) : null;

    /// <summary>Copies <paramref name="count"/> elements of <paramref name="tensor"/> from <paramref name="offset"/>
    /// into host memory.</summary>
    public void Read(Tensor tensor, long offset, int count, byte* into)
    {
        if (Direct)
            Copy(Address(tensor, offset), into, count, tensor.DType);
        else if (tensor.DType == DType.Float32)
            Launch.Download(tensor, new Span<float>(into, count), offset);
        else
            Launch.Download(tensor, new Span<double>(into, count), offset);
    }

    /// <summary>Copies <paramref name="count"/> elements from host memory into <paramref name="tensor"/> from
    /// <paramref name="offset"/> on.</summary>
    public void Write(Tensor tensor, long offset, int count, byte* from)
    {
        if (Direct)
            Copy(from, Address(tensor, offset), count, tensor.DType);
        else if (tensor.DType == DType.Float32)
            Launch.Upload(tensor, new ReadOnlySpan<float>(from, count), offset);
        else
            Launch.Upload(tensor, new ReadOnlySpan<double>(from, count), offset);
    }

    /// <summary>A host buffer of at least <paramref name="bytes"/>, kept for the next call.</summary>
    public byte* Scratch(long bytes)
    {
        if (bytes > scratchBytes)
        {
            NativeMemory.AlignedFree(scratch);
            scratch = null;
            scratchBytes = 0;
            scratch = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            scratchBytes = bytes;
        }
        return scratch;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(scratch);
        scratch = null;
        scratchBytes = 0;
    }

    private static void Copy(byte* from, byte* to, int count, DType dtype)
    {
        long bytes = (long)count * dtype.Size();
        Buffer.MemoryCopy(from, to, bytes, bytes);
    }
}
