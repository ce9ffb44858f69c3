namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Collectives over MPI, for the CPU accelerator, OpenCL, and CUDA where NCCL is absent. MPI counts are ints, so
/// tensors move in chunks of at most <see cref="DefaultChunkElements"/> elements; on the CPU accelerator MPI works on
/// the tensors' own memory, elsewhere each chunk goes through a host buffer. Where every rank is a CPU accelerator on
/// one node, all-reduces go through a shared window instead (<see cref="SharedAllReduce"/>).
/// </summary>
internal sealed unsafe class MpiBackend : ICollectiveBackend
{
    /// <summary>
    /// The default chunk: 1Mi elements (4 MiB of float32). MPICH allocates a temporary buffer of a call's size on
    /// each call: a whole 256 MiB tensor in one call runs several times slower than in chunks.
    /// </summary>
    public const int DefaultChunkElements = 1 << 20;

    /// <summary>Set to 0 to keep all-reduces on MPI's own path where the ranks share one node.</summary>
    public const string SharedMemoryVariable = "AUTODIFF_MPI_SHARED_MEMORY";

    private readonly MpiWorld world;
    private readonly Device device;
    private readonly HostStaging host;
    private readonly SharedAllReduce? shared;
    private int? chunkElements;
    private bool sharedOn = true;

    public MpiBackend(MpiWorld world, Device device)
    {
        this.world = world;
        this.device = device;
        host = new HostStaging(device);
        bool want = host.Direct && Environment.GetEnvironmentVariable(SharedMemoryVariable)?.Trim() != "0";
        shared = SharedAllReduce.Open(world, want);
    }

    public string Name => "mpi";

    public int Rank => world.Rank;

    public int Size => world.Size;

    /// <summary>
    /// The most elements one MPI call or shared-memory round moves per rank; null for each path's default:
    /// <see cref="DefaultChunkElements"/>, or a full buffer. A knob for tests: a small one crosses chunks cheaply.
    /// </summary>
    public int? ChunkElements
    {
        get => chunkElements;
        set => chunkElements = value is null or >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "a chunk holds at least one element");
    }

    /// <summary>
    /// True to copy through a host buffer even where MPI could work on the tensors' memory (a knob for tests: the
    /// CPU accelerator then takes the GPUs' path).
    /// </summary>
    public bool Staged
    {
        get => !host.Direct;
        set => host.Direct = !value && device.Kind == DeviceKind.Cpu;
    }

    /// <summary>
    /// True while all-reduces on the CPU accelerator go through the node's shared window: the ranks share one node
    /// and <see cref="SharedMemoryVariable"/> is not 0. Tests turn it off to take MPI's own path.
    /// </summary>
    public bool SharedMemory
    {
        get => sharedOn && shared is not null;
        set => sharedOn = value;
    }

    private Mpi Mpi => world.Mpi;

    private int MpiChunk => ChunkElements ?? DefaultChunkElements;

    public long[] Exchange(long[] mine) => world.AllGather(mine);

    public void AllReduce(Tensor tensor, bool max)
    {
        int type = Mpi.Datatype(tensor.DType);
        int op = max ? Mpi.Max : Mpi.Sum;
        Begin();
        if (sharedOn && host.Direct && shared is not null)
        {
            shared.AllReduce(host.Address(tensor, 0), tensor.Length, tensor.DType, ChunkElements ?? int.MaxValue, max);
            return;
        }
        foreach (var (offset, count) in Chunks(tensor.Length))
        {
            byte* data = Load(tensor, offset, count, load: true);
            Mpi.Check(Mpi.Allreduce(Mpi.InPlace, data, count, type, op, Mpi.CommWorld), "MPI_Allreduce");
            Store(tensor, offset, count, data);
        }
    }

    public void Broadcast(Tensor tensor, int root)
    {
        int type = Mpi.Datatype(tensor.DType);
        bool sending = Rank == root;
        Begin();
        foreach (var (offset, count) in Chunks(tensor.Length))
        {
            byte* data = Load(tensor, offset, count, load: sending);
            Mpi.Check(Mpi.Bcast(data, count, type, root, Mpi.CommWorld), "MPI_Bcast");
            if (!sending)
                Store(tensor, offset, count, data);
        }
    }

    public void AllGather(Tensor input, Tensor output)
    {
        int type = Mpi.Datatype(input.DType);
        long n = input.Length;
        Begin();
        if (host.Direct && n <= MpiChunk)
        {
            // One call straight between the tensors' memory.
            byte* from = host.Address(input, 0);
            byte* into = host.Address(output, 0);
            Mpi.Check(Mpi.Allgather(from, (int)n, type, into, (int)n, type, Mpi.CommWorld), "MPI_Allgather");
            return;
        }
        int size = input.DType.Size();
        foreach (var (offset, count) in Chunks(n))
        {
            // The gathered chunks land in rank order in a host buffer; each goes to its rank's part of the output.
            byte* gathered = host.Scratch((long)(Size + 1) * count * size);
            byte* mine = host.Address(input, offset);
            if (mine is null)
            {
                mine = gathered + ((long)Size * count * size);
                host.Read(input, offset, count, mine);
            }
            Mpi.Check(Mpi.Allgather(mine, count, type, gathered, count, type, Mpi.CommWorld), "MPI_Allgather");
            for (int r = 0; r < Size; r++)
                host.Write(output, (r * n) + offset, count, gathered + ((long)r * count * size));
        }
    }

    public void ReduceScatter(Tensor input, Tensor output, bool max)
    {
        int type = Mpi.Datatype(input.DType);
        int op = max ? Mpi.Max : Mpi.Sum;
        long m = output.Length;
        Begin();
        if (host.Direct && m <= MpiChunk)
        {
            byte* from = host.Address(input, 0);
            byte* into = host.Address(output, 0);
            Mpi.Check(Mpi.ReduceScatterBlock(from, into, (int)m, type, op, Mpi.CommWorld), "MPI_Reduce_scatter_block");
            return;
        }
        int size = input.DType.Size();
        foreach (var (offset, count) in Chunks(m))
        {
            // This chunk of every rank's part, packed in rank order, is what one MPI call reduces and scatters.
            byte* packed = host.Scratch((long)(Size + 1) * count * size);
            for (int r = 0; r < Size; r++)
                host.Read(input, (r * m) + offset, count, packed + ((long)r * count * size));
            byte* mine = host.Address(output, offset);
            bool staged = mine is null;
            if (staged)
                mine = packed + ((long)Size * count * size);
            Mpi.Check(
                Mpi.ReduceScatterBlock(packed, mine, count, type, op, Mpi.CommWorld), "MPI_Reduce_scatter_block");

            if (staged)
                host.Write(output, offset, count, mine);
        }
    }

    public void Barrier()
    {
        device.Synchronize();
        world.Barrier();
    }

    public void Dispose()
    {
        shared?.Dispose();
        host.Dispose();
        world.Leave();
    }

    /// <summary>
    /// On the CPU accelerator MPI reads the buffers directly: the kernels writing them must have finished.
    /// </summary>
    private void Begin()
    {
        if (host.Direct)
            device.Synchronize();
    }

    /// <summary>
    /// Host memory holding the chunk: the tensor's own, or the host buffer (filled when <paramref name="load"/>).
    /// </summary>
    private byte* Load(Tensor tensor, long offset, int count, bool load)
    {
        byte* direct = host.Address(tensor, offset);
        if (direct != null)
            return direct;
        byte* buffer = host.Scratch((long)count * tensor.DType.Size());
        if (load)
            host.Read(tensor, offset, count, buffer);
        return buffer;
    }

    /// <summary>
    /// Writes a staged chunk back to the device (nothing to do where MPI wrote the tensor's own memory).
    /// </summary>
    private void Store(Tensor tensor, long offset, int count, byte* data)
    {
        if (!host.Direct)
            host.Write(tensor, offset, count, data);
    }

    private IEnumerable<(long Offset, int Count)> Chunks(long length)
    {
        for (long offset = 0; offset < length; offset += MpiChunk)
            yield return (offset, (int)Math.Min(MpiChunk, length - offset));
    }
}
