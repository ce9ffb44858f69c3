namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Averages gradients over the ranks in buckets, as PyTorch's DistributedDataParallel: the gradients of one element
/// type are packed, in order, into flat buffers of about <c>bucketBytes</c> on the device, each buffer is averaged over
/// the ranks by one all-reduce (the sum times 1/ranks), and each gradient is copied back out. Few large messages, not
/// one per parameter; a gradient larger than a bucket has a bucket of its own. One call per bucket and step; nothing
/// crosses to the host but flags, and those only where a rank lacks a gradient.
/// </summary>
internal static class GradientBuckets
{
    /// <summary>
    /// Groups items, in order, into buckets of one element type: a bucket takes the next item of its type while it
    /// stays within <paramref name="bucketBytes"/>, and never starts empty-handed, so an item larger than a bucket
    /// fills one alone. Returns the items' indices per bucket, buckets of one type in order of their first item.
    /// </summary>
    public static List<List<int>> Plan(IReadOnlyList<(DType DType, long Bytes)> items, long bucketBytes)
    {
        var buckets = new List<List<int>>();
        var open = new Dictionary<DType, (List<int> Items, long Bytes)>();
        for (int i = 0; i < items.Count; i++)
        {
            var (dtype, bytes) = items[i];
            if (open.TryGetValue(dtype, out var bucket) && bucket.Bytes + bytes <= bucketBytes)
            {
                bucket.Items.Add(i);
                open[dtype] = (bucket.Items, bucket.Bytes + bytes);
                continue;
            }
            var started = new List<int> { i };
            buckets.Add(started);
            open[dtype] = (started, bytes);
        }
        return buckets;
    }

    /// <summary>
    /// Replaces the gradient of each of <paramref name="parameters"/> (the same list on every rank) by its mean over
    /// the ranks. A rank without a gradient for a parameter adds zeros; a parameter without one on every rank keeps
    /// none, on every rank. The mean is the sum times 1/ranks, so the result is the same on every rank. Each bucket
    /// starts with one flag per member, 1 where this rank has its gradient: summed with the gradients, they tell a rank
    /// that lacks one whether another has it, and cost no extra call (nor a read, where every gradient is here).
    /// </summary>
    /// <exception cref="ArgumentException">A parameter lives on another device than the ranks' collectives.</exception>
    public static void Average(Collectives collectives, IReadOnlyList<Variable> parameters, long bucketBytes)
    {
        var device = collectives.Device;
        foreach (var p in parameters)
        {
            if (!p.Device.SharesAcceleratorWith(device))
            {
                throw new ArgumentException(
                    $"{nameof(DataParallel)}: {p.Describe()} is on {p.Device.Id}, but this rank computes on " +
                    $"{device.Id}: move the model there with model.To(device)", nameof(parameters));
            }
        }
        var sizes = parameters.Select(p => (p.DType, p.Data.ByteLength + p.DType.Size())).ToList();
        foreach (var bucket in Plan(sizes, bucketBytes))
        {
            var members = bucket.Select(i => parameters[i]).ToList();
            using var flat = Pack(device, members);
            collectives.AllReduce(flat, ReduceOp.Mean);
            var counts = Counts(flat, members);
            long offset = members.Count;
            for (int i = 0; i < members.Count; i++)
            {
                var p = members[i];
                if (counts[i] > 0)
                {
                    var mean = device.Empty(p.Shape, p.DType);
                    Launch.CopyRange(flat, offset, mean, 0, p.Size);
                    lock (p)
                        p.SetGradLocked(new Variable(mean) { EngineMade = true });
                }
                offset += p.Size;
            }
        }
    }

    /// <summary>
    /// One flat buffer: a flag per member (1 where this rank has its gradient), then the members' gradients in
    /// order, zeros where this rank has none.
    /// </summary>
    private static Tensor Pack(Device device, List<Variable> members)
    {
        long length = members.Count + members.Sum(p => p.Size);
        if (length > int.MaxValue)
        {
            throw new ArgumentException(
                $"{nameof(DataParallel)}: {members[0].Describe()} has {length:N0} elements, more than one bucket " +
                $"holds ({int.MaxValue:N0})");
        }
        var shape = new Shape((int)length);
        var dtype = members[0].DType;
        bool complete = members.TrueForAll(p => p.GradInternal is not null);
        var flat = complete ? device.Empty(shape, dtype) : device.Zeros(shape, dtype);
        var flags = members.Select(p => p.GradInternal is null ? 0.0 : 1.0).ToArray();
        if (dtype == DType.Float64)
            Launch.Upload<double>(flat, flags);
        else
            Launch.Upload<float>(flat, Array.ConvertAll(flags, f => (float)f));
        long offset = members.Count;
        foreach (var p in members)
        {
            if (p.GradInternal is { } g)
                Launch.CopyRange(g.Data, 0, flat, offset, p.Size);
            offset += p.Size;
        }
        return flat;
    }

    /// <summary>
    /// Whether some rank had each member's gradient (above 0: the flags' mean): read where this rank lacks one, else
    /// known (no read, no wait).
    /// </summary>
    private static double[] Counts(Tensor flat, List<Variable> members)
    {
        if (members.TrueForAll(p => p.GradInternal is not null))
            return [.. members.Select(_ => 1.0)];
        if (flat.DType == DType.Float64)
        {
            var counts = new double[members.Count];
            Launch.Download<double>(flat, counts);
            return counts;
        }
        var single = new float[members.Count];
        Launch.Download<float>(flat, single);
        return Array.ConvertAll(single, c => (double)c);
    }
}
