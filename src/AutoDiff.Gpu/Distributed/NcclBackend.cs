using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Collectives over NCCL between CUDA devices, enqueued on the device's ILGPU stream, so that they run in order
/// with the engine's kernels and the data never leaves the GPUs. The communicator's id is made by rank 0 and
/// broadcast over MPI; a job of one rank without a launcher makes it locally.
/// </summary>
internal sealed unsafe class NcclBackend : ICollectiveBackend
{
    private readonly Nccl nccl;
    private readonly MpiWorld? world;
    private readonly Device device;
    private IntPtr comm;

    private NcclBackend(Nccl nccl, MpiWorld? world, Device device, IntPtr comm)
    {
        this.nccl = nccl;
        this.world = world;
        this.device = device;
        this.comm = comm;
    }

    public string Name => "nccl";

    public int Rank => world?.Rank ?? 0;

    public int Size => world?.Size ?? 1;

    /// <summary>Opens a communicator of every rank of <paramref name="world"/> (this rank alone when null).</summary>
    /// <exception cref="InvalidOperationException"><paramref name="device"/> is not a CUDA device.</exception>
    /// <exception cref="DllNotFoundException">NCCL is not installed.</exception>
    public static NcclBackend Create(MpiWorld? world, Device device)
    {
        if (device.Kind != DeviceKind.Cuda)
        {
            throw new InvalidOperationException(
                $"the nccl backend moves CUDA tensors; this rank computes on {device.Id}: use the mpi backend");
        }
        var nccl = Nccl.Library;
        int rank = world?.Rank ?? 0;
        int size = world?.Size ?? 1;
        var id = default(Nccl.UniqueId);
        if (rank == 0)
            nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        world?.Broadcast(id.AsSpan(), root: 0);
        IntPtr comm;
        using (device.EnterLaunch())
            nccl.Check(nccl.CommInitRank(&comm, size, id, rank), "ncclCommInitRank");
        return new NcclBackend(nccl, world, device, comm);
    }

    public long[] Exchange(long[] mine) => world?.AllGather(mine) ?? mine;

    public void AllReduce(Tensor tensor, bool max)
    {
        using (device.EnterLaunch())
        {
            void* data = Address(tensor);
            int type = Nccl.Datatype(tensor.DType);
            nccl.Check(nccl.AllReduce(data, data, (nuint)tensor.Length, type, Op(max), comm, Stream), "ncclAllReduce");
        }
    }

    public void Broadcast(Tensor tensor, int root)
    {
        using (device.EnterLaunch())
        {
            void* data = Address(tensor);
            int type = Nccl.Datatype(tensor.DType);
            nccl.Check(nccl.Broadcast(data, data, (nuint)tensor.Length, type, root, comm, Stream), "ncclBroadcast");
        }
    }

    public void AllGather(Tensor input, Tensor output)
    {
        using (device.EnterLaunch())
        {
            int type = Nccl.Datatype(input.DType);
            void* from = Address(input);
            void* into = Address(output);
            nccl.Check(nccl.AllGather(from, into, (nuint)input.Length, type, comm, Stream), "ncclAllGather");
        }
    }

    public void ReduceScatter(Tensor input, Tensor output, bool max)
    {
        using (device.EnterLaunch())
        {
            int type = Nccl.Datatype(input.DType);
            void* from = Address(input);
            void* into = Address(output);
            int status = nccl.ReduceScatter(from, into, (nuint)output.Length, type, Op(max), comm, Stream);
            nccl.Check(status, "ncclReduceScatter");
        }
    }

    public void Barrier()
    {
        device.Synchronize();
        world?.Barrier();
    }

    public void Dispose()
    {
        try
        {
            if (comm != IntPtr.Zero)
            {
                using (device.EnterLaunch())
                    nccl.Check(nccl.CommDestroy(comm), "ncclCommDestroy");
            }
        }
        finally
        {
            comm = IntPtr.Zero;
            world?.Leave();
        }
    }

    /// <summary>The device's ILGPU stream, on which the engine's kernels run too.</summary>
    private IntPtr Stream => ((CudaStream)device.Accelerator.DefaultStream).StreamPtr;

    private static void* Address(Tensor tensor) => (void*)tensor.View<byte>().LoadEffectiveAddressAsPtr();

    private static int Op(bool max) => max ? Nccl.Max : Nccl.Sum;

}
