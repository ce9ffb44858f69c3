using ILGPU.Runtime;

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
        device.BindToThisThread(); // NCCL takes the GPU that is current on the calling thread
        nccl.Check(nccl.CommInitRank(&comm, size, id, rank), "ncclCommInitRank");
        return new NcclBackend(nccl, world, device, comm);
    }

    public long[] Exchange(long[] mine) => world?.AllGather(mine) ?? mine;

    public void AllReduce(Tensor tensor, bool max)
    {
        int type = Nccl.Datatype(tensor.DType);
        Enqueue("ncclAllReduce", stream =>
            nccl.AllReduce(Address(tensor), Address(tensor), (nuint)tensor.Length, type, Op(max), comm, stream));
    }

    public void Broadcast(Tensor tensor, int root)
    {
        int type = Nccl.Datatype(tensor.DType);
        Enqueue("ncclBroadcast", stream =>
            nccl.Broadcast(Address(tensor), Address(tensor), (nuint)tensor.Length, type, root, comm, stream));
    }

    public void AllGather(Tensor input, Tensor output)
    {
        int type = Nccl.Datatype(input.DType);
        Enqueue("ncclAllGather", stream =>
            nccl.AllGather(Address(input), Address(output), (nuint)input.Length, type, comm, stream));
    }

    public void ReduceScatter(Tensor input, Tensor output, bool max)
    {
        int type = Nccl.Datatype(input.DType);
        Enqueue("ncclReduceScatter", stream =>
            nccl.ReduceScatter(Address(input), Address(output), (nuint)output.Length, type, Op(max), comm, stream));
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
                device.BindToThisThread();
                nccl.Check(nccl.CommDestroy(comm), "ncclCommDestroy");
            }
        }
        finally
        {
            comm = IntPtr.Zero;
            world?.Leave();
        }
    }

    /// <summary>Enqueues a collective on the device's ILGPU stream, where the engine's kernels run too.</summary>
    private void Enqueue(string function, Func<IntPtr, int> collective) =>
        nccl.Check(Launch.OnStream(device, collective), function);

    private static void* Address(Tensor tensor) => (void*)tensor.View<byte>().LoadEffectiveAddressAsPtr();

    private static int Op(bool max) => max ? Nccl.Max : Nccl.Sum;
}
