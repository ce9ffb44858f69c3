namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// What one rank asks of a collective: the operation, its reduction or root, and the tensor's type and shape. The
/// ranks swap these few numbers before any data moves, so that a call that differs between ranks is an error on
/// every rank, naming both, instead of a hang or garbage.
/// </summary>
internal sealed record CollectiveCall(
    string Operation, ReduceOp? Op = null, int Root = -1, DType? DType = null, Shape? Shape = null)
{
    /// <summary>Dimensions sent in full; a tensor of more axes sends a hash of the rest in the last slot.</summary>
    private const int SentDimensions = 8;

    private const int Fields = 6 + SentDimensions;

    private static readonly string[] Operations = ["AllReduce", "Broadcast", "AllGather", "ReduceScatter", "Barrier"];

    /// <summary>Swaps the calls of every rank through <paramref name="backend"/>; returns when all are the
    /// same.</summary>
    /// <exception cref="CollectiveException">Some rank's call differs from rank 0's: the message names
    /// both.</exception>
    public void Agree(ICollectiveBackend backend)
    {
        if (backend.Size == 1)
            return;
        long[] mine = Encode();
        long[] all = backend.Exchange(mine);
        var first = all.AsSpan(0, Fields);
        for (int r = 1; r < backend.Size; r++)
        {
            var other = all.AsSpan(r * Fields, Fields);
            if (!other.SequenceEqual(first))
            {
                throw new CollectiveException(
                    $"{Operation} on rank {backend.Rank}: the ranks disagree: " +
                    $"rank 0 calls {Describe(first)}, rank {r} calls {Describe(other)}");
            }
        }
    }

    internal long[] Encode()
    {
        var fields = new long[Fields];
        fields[0] = Array.IndexOf(Operations, Operation);
        fields[1] = Op is { } op ? (long)op : -1;
        fields[2] = Root;
        fields[3] = DType is { } dtype ? (long)dtype : -1;
        if (Shape is { } shape)
        {
            fields[4] = shape.Rank;
            fields[5] = shape.Length;
            for (int axis = 0; axis < shape.Rank; axis++)
            {
                int slot = 6 + Math.Min(axis, SentDimensions - 1);
                fields[slot] = axis < SentDimensions - 1 ? shape[axis] : unchecked((fields[slot] * 31) + shape[axis]);
            }
        }
        return fields;
    }

    /// <summary>E.g. <c>AllReduce(Mean) of float32 (3, 4)</c> or <c>Broadcast from rank 1 of float64
    /// (5,)</c>.</summary>
    private static string Describe(ReadOnlySpan<long> fields)
    {
        string name = fields[0] >= 0 && fields[0] < Operations.Length
            ? Operations[fields[0]]
            : $"operation {fields[0]}";

        string op = fields[1] >= 0 ? $"({(ReduceOp)fields[1]})" : "";
        string root = fields[2] >= 0 ? $" from rank {fields[2]}" : "";
        if (fields[3] < 0)
            return name + op + root;
        string dtype = ((DType)fields[3]).Name();
        int rank = (int)fields[4];
        string shape = rank <= SentDimensions - 1
            ? new Shape(fields.Slice(6, rank).ToArray().Select(d => (int)d).ToArray()).ToString()
            : $"of {rank} axes and {fields[5]:N0} elements";
        return $"{name}{op}{root} of {dtype} {shape}";
    }
}
