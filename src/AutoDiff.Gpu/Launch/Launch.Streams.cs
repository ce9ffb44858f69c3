using ILGPU.Runtime.Cuda;

namespace AutoDiff.Gpu;

// Work that a library outside ILGPU (NCCL) puts on a CUDA device's stream.
internal static partial class Launch
{
    /// <summary>
    /// Calls <paramref name="enqueue"/> with the CUDA stream the engine's kernels run on, under the device's launch
    /// lock, and returns its status: what it enqueues runs in order with the kernels.
    /// </summary>
    public static int OnStream(Device device, Func<IntPtr, int> enqueue)
    {
        using (device.EnterLaunch())
            return enqueue(((CudaStream)device.Accelerator.DefaultStream).StreamPtr);
    }
}
