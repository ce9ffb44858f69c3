using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Averages gradients over the ranks in buckets, as PyTorch's DistributedDataParallel: the gradients of one element
/// type are packed, in order, into flat buffers of about <c>bucketBytes</c> on the device, each buffer is summed over
/// the ranks by one all-reduce, and each gradient is read back out of it times 1/ranks. Few large messages instead of
/// one per parameter; a gradient larger than a bucket has a bucket of its own. Nothing crosses to the host but one
/// flag per parameter.
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
    /// none, on every rank. The mean is the sum times 1/ranks, so the result is the same on every rank.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter lives on another device than the ranks' collectives.</exception>
    public static void Average(Collectives collectives, IReadOnlyList<Variable> parameters, long bucketBytes)
    {
        if (parameters.Count == 0)
            return;
        var device = collectives.Device;
        foreach (var p in parameters)
        {
            if (!p.Device.SharesAcceleratorWith(device))
                throw new ArgumentException($"{nameof(DataParallel)}: {p.Describe()} is on {p.Device.Id}, but this rank computes on {device.Id}: move the model there with model.To(device)", nameof(parameters));
        }

        // Which parameters have a gradient somewhere: one answer on every rank, so the same buckets everywhere.
        var counts = collectives.Sum([.. parameters.Select(p => p.GradInternal is null ? 0.0 : 1.0)]);
        var present = Enumerable.Range(0, parameters.Count).Where(i => counts[i] > 0).Select(i => parameters[i]).ToList();
        var scale = new ScaleOperator(1.0 / collectives.Size);
        foreach (var bucket in Plan([.. present.Select(p => (p.DType, p.Data.ByteLength))], bucketBytes))
        {
            var members = bucket.Select(i => present[i]).ToList();
            using var flat = Pack(device, members);
            collectives.AllReduce(flat);
            long offset = 0;
            foreach (var p in members)
            {
                var mean = Launch.Gather(flat, p.Shape, p.Shape.Strides(), offset, scale);
                offset += p.Size;
                lock (p)
                    p.SetGradLocked(new Variable(mean) { EngineMade = true });
            }
        }
    }

    /// <summary>One flat buffer of the members' gradients in order; zeros where a member has none on this rank.</summary>
    private static Tensor Pack(Device device, List<Variable> members)
    {
        long length = members.Sum(p => p.Size);
        if (length > int.MaxValue)
            throw new ArgumentException($"{nameof(DataParallel)}: {members[0].Describe()} has {length:N0} elements, more than one bucket holds ({int.MaxValue:N0})");
        var shape = new Shape((int)length);
        var dtype = members[0].DType;
        var flat = members.TrueForAll(p => p.GradInternal is not null) ? device.Empty(shape, dtype) : device.Zeros(shape, dtype);
        long offset = 0;
        foreach (var p in members)
        {
            if (p.GradInternal is { } g)
                Launch.CopyInto(g.Data, flat, offset);
            offset += p.Size;
        }
        return flat;
    }
}
