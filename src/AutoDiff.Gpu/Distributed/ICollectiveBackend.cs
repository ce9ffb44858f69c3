namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// What moves the data of <see cref="Collectives"/>: one rank alone, MPI, or NCCL. Calls come checked: every rank
/// made the same call on a tensor of the same shape and type, realized, on this rank's device. Reductions are sums
/// or maxima (a mean is a sum scaled by <see cref="Collectives"/>).
/// </summary>
internal interface ICollectiveBackend : IDisposable
{
    /// <summary><c>single</c>, <c>mpi</c> or <c>nccl</c>.</summary>
    string Name { get; }

    int Rank { get; }

    int Size { get; }

    /// <summary>Every rank's <paramref name="mine"/>, in rank order: how the ranks compare their calls.</summary>
    long[] Exchange(long[] mine);

    /// <summary>Replaces <paramref name="tensor"/> by its sum or maximum over the ranks.</summary>
    void AllReduce(Tensor tensor, bool max);

    /// <summary>Replaces <paramref name="tensor"/> by rank <paramref name="root"/>'s.</summary>
    void Broadcast(Tensor tensor, int root);

    /// <summary>Writes the ranks' inputs into <paramref name="output"/> one after another in rank order.</summary>
    void AllGather(Tensor input, Tensor output);

    /// <summary>Writes part <see cref="Rank"/> of the sum or maximum over the ranks of <paramref
    /// name="input"/>.</summary>
    void ReduceScatter(Tensor input, Tensor output, bool max);

    /// <summary>Returns once every rank has called it, with this rank's device work finished.</summary>
    void Barrier();
}
