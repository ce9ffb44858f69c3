namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// The ranks of one job, one process per device, and the collective operations between them. A job started by
/// <c>mpiexec -n N</c> has N ranks; a process started without a launcher is one rank of one, where every collective
/// is the identity, so a program written for several ranks runs unchanged on one.
/// </summary>
public sealed class Collectives : IDisposable
{
    private bool disposed;

    private Collectives(Device device)
    {
        Device = device;
    }

    /// <summary>This process's rank, from 0 to <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks in the job.</summary>
    public int Size { get; } = 1;

    /// <summary>True on rank 0, which writes checkpoints and logs.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>The device this rank computes on.</summary>
    public Device Device { get; }

    /// <summary>Which engine moves the data: <c>single</c> (one rank), <c>mpi</c> or <c>nccl</c>.</summary>
    public string Backend { get; } = "single";

    /// <summary>Joins the job this process was started in, or makes a job of one rank without a launcher.</summary>
    /// <param name="device">The device to compute on; by default the best device (on CUDA the local rank's GPU).</param>
    public static Collectives Start(Device? device = null) => new(device ?? Device.Best());

    /// <summary>Replaces <paramref name="tensor"/>'s values, on every rank, by their reduction over all ranks.</summary>
    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => Check(tensor);

    /// <summary>Replaces <paramref name="tensor"/>'s values on every rank by those of rank <paramref name="root"/>.</summary>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        Check(tensor);
        ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);
    }

    /// <summary>The ranks' tensors concatenated along the first axis in rank order, on every rank.</summary>
    public Tensor AllGather(Tensor tensor)
    {
        Check(tensor);
        return tensor.To(Device);
    }

    /// <summary>
    /// The reduction over ranks of <paramref name="tensor"/>, split along the first axis into <see cref="Size"/>
    /// equal parts: rank r gets part r.
    /// </summary>
    public Tensor ReduceScatter(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        Check(tensor);
        return tensor.To(Device);
    }

    /// <summary>Returns once every rank has called it.</summary>
    public void Barrier() => ObjectDisposedException.ThrowIf(disposed, this);

    /// <summary>Leaves the job; collectives afterwards throw.</summary>
    public void Dispose() => disposed = true;

    private void Check(Tensor tensor)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.Device.SharesAcceleratorWith(Device))
            throw new ArgumentException($"tensor {tensor.Shape} is on {tensor.Device.Id}, this rank computes on {Device.Id}", nameof(tensor));
    }
}
