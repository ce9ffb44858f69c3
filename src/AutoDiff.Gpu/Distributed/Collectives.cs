using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// The ranks of one job, one process per device, and the collective operations between them. A job started by
/// <c>mpiexec -n N</c> has N ranks; a process started without a launcher is one rank of one, where every collective
/// is the identity, so a program written for several ranks runs unchanged on one.
/// <para>
/// Every rank must make the same calls in the same order on tensors of the same shape and type: the ranks compare
/// each call first, and one that differs is a <see cref="CollectiveException"/> on every rank naming both.
/// </para>
/// </summary>
public sealed partial class Collectives : IDisposable
{
    private readonly ICollectiveBackend backend;
    private readonly bool ownsDevice;
    private readonly Lock gate = new();
    private bool disposed;

    private Collectives(ICollectiveBackend backend, Device device, bool ownsDevice, int localRank, int localSize)
    {
        this.backend = backend;
        this.ownsDevice = ownsDevice;
        Device = device;
        LocalRank = localRank;
        LocalSize = localSize;
    }

    /// <summary>This process's rank, from 0 to <see cref="Size"/> − 1.</summary>
    public int Rank => backend.Rank;

    /// <summary>The number of ranks in the job.</summary>
    public int Size => backend.Size;

    /// <summary>True on rank 0, which writes checkpoints and logs.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>This rank's index among the ranks on its node (which GPU it takes).</summary>
    public int LocalRank { get; }

    /// <summary>The number of ranks on this node (which share its cores).</summary>
    public int LocalSize { get; }

    /// <summary>The device this rank computes on.</summary>
    public Device Device { get; }

    /// <summary>Which engine moves the data: <c>single</c> (one rank), <c>mpi</c> or <c>nccl</c>.</summary>
    public string Backend => backend.Name;

    /// <summary>The backend, for tests that turn its knobs.</summary>
    internal ICollectiveBackend Engine => backend;

    /// <summary>
    /// Replaces <paramref name="tensor"/>'s values, on every rank, by their reduction over all ranks; a mean is the
    /// sum times 1 / <see cref="Size"/>.
    /// </summary>
    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        CheckOp(op);
        Prepare(tensor, inPlace: true);
        lock (gate)
        {
            new CollectiveCall(nameof(AllReduce), op, DType: tensor.DType, Shape: tensor.Shape).Agree(backend);
            if (tensor.Length == 0)
                return;
            backend.AllReduce(tensor, op == ReduceOp.Max);
            Average(tensor, op);
        }
    }

    /// <summary>Replaces <paramref name="tensor"/>'s values on every rank by those of rank <paramref
    /// name="root"/>.</summary>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        if (root < 0 || root >= Size)
        {
            throw new ArgumentOutOfRangeException(
                nameof(root), root, $"Broadcast: root must be a rank from 0 to {Size - 1}");
        }
        Prepare(tensor, inPlace: true);
        lock (gate)
        {
            new CollectiveCall(nameof(Broadcast), Root: root, DType: tensor.DType, Shape: tensor.Shape).Agree(backend);
            if (tensor.Length > 0)
                backend.Broadcast(tensor, root);
        }
    }

    /// <summary>
    /// The ranks' tensors concatenated along the first axis in rank order, on every rank: <see cref="Size"/> times
    /// as long on that axis. Every rank passes the same shape.
    /// </summary>
    public Tensor AllGather(Tensor tensor)
    {
        Prepare(tensor, inPlace: false);
        RequireAxis(nameof(AllGather), tensor);
        lock (gate)
        {
            new CollectiveCall(nameof(AllGather), DType: tensor.DType, Shape: tensor.Shape).Agree(backend);
            long rows = (long)tensor.Shape[0] * Size;
            if (rows > int.MaxValue)
            {
                throw new ArgumentException(
                    $"AllGather: {Size} ranks × {tensor.Shape[0]:N0} rows is more than a dimension holds " +
                    $"({int.MaxValue:N0})",
                    nameof(tensor));
            }
            var dims = tensor.Shape.ToArray();
            dims[0] = (int)rows;
            var output = Device.Empty(new Shape(dims), tensor.DType);
            if (tensor.Length > 0)
                backend.AllGather(tensor, output);
            return output;
        }
    }

    /// <summary>
    /// The reduction over ranks of <paramref name="tensor"/>, split along the first axis into <see cref="Size"/>
    /// equal parts: rank r gets part r.
    /// </summary>
    public Tensor ReduceScatter(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        CheckOp(op);
        Prepare(tensor, inPlace: false);
        RequireAxis(nameof(ReduceScatter), tensor);
        lock (gate)
        {
            new CollectiveCall(nameof(ReduceScatter), op, DType: tensor.DType, Shape: tensor.Shape).Agree(backend);
            if (tensor.Shape[0] % Size != 0)
            {
                throw new ArgumentException(
                    $"ReduceScatter: the first axis of {tensor.Shape} does not split into {Size} equal parts, " +
                    "one per rank",
                    nameof(tensor));
            }
            var dims = tensor.Shape.ToArray();
            dims[0] /= Size;
            var output = Device.Empty(new Shape(dims), tensor.DType);
            if (output.Length > 0)
            {
                backend.ReduceScatter(tensor, output, op == ReduceOp.Max);
                Average(output, op);
            }
            return output;
        }
    }

    /// <summary>Returns once every rank has called it, with this rank's device work finished.</summary>
    public void Barrier()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        lock (gate)
        {
            new CollectiveCall(nameof(Barrier)).Agree(backend);
            backend.Barrier();
        }
    }

    /// <summary>
    /// Leaves the job; collectives afterwards throw. Under a launcher this finalizes MPI, which cannot start again in
    /// this process; every rank must dispose. A device that <see cref="Start(Device?)"/> opened is disposed too.
    /// </summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            try
            {
                backend.Dispose();
            }
            finally
            {
                if (ownsDevice)
                    Device.Dispose();
            }
        }
    }

    private void Prepare(Tensor tensor, bool inPlace)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.ThrowIfDisposed();
        if (!tensor.Device.SharesAcceleratorWith(Device))
        {
            throw new ArgumentException(
                $"tensor {tensor.Shape} is on {tensor.Device.Id}, this rank computes on {Device.Id}", nameof(tensor));
        }
        tensor.Realize();
        if (inPlace)
            tensor.BeforeWrite();
    }

    /// <summary>A mean is the sum times 1 / size, on the device.</summary>
    private void Average(Tensor tensor, ReduceOp op)
    {
        if (op == ReduceOp.Mean && Size > 1)
        {
            var scale = new UnaryAsBinary<ScaleOperator>(new ScaleOperator(1.0 / Size));
            Launch.ZipInto(nameof(ReduceOp.Mean), tensor, tensor, scale);
        }
    }

    private static void CheckOp(ReduceOp op)
    {
        if (!Enum.IsDefined(op))
            throw new ArgumentOutOfRangeException(nameof(op), op, "not a ReduceOp: use Sum, Mean or Max");
    }

    private static void RequireAxis(string operation, Tensor tensor)
    {
        if (tensor.Rank == 0)
        {
            throw new ArgumentException(
                $"{operation}: a scalar has no first axis to join the ranks' parts along; reshape it to (1,)",
                nameof(tensor));

        }

    }
}
