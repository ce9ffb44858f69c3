namespace AutoDiff.Gpu;

/// <summary>
/// The device memory behind one or more tensors: a tensor and its reshaped views share it. The pool lends its
/// block to this object and takes it back when the last tensor using it is disposed, or when the GC finds it
/// unreachable (see <see cref="DeviceMemory"/>). Pending tensors that read it (see <see cref="Fuser"/>) are
/// realized before its contents change in place or its block goes back, so that they see the values they were
/// made from.
/// </summary>
internal sealed class Storage
{
    private MemoryBlock? block;
    private int users = 1;
    private FusedNode? read;

    public Storage(Device device, long bytes)
    {
        Device = device;
        block = device.Memory.Rent(bytes, this);
    }

    public Device Device { get; }

    public MemoryBlock? Block => Volatile.Read(ref block);

    /// <summary>The expression node that reads this storage (one per storage, made on first use).</summary>
    public FusedNode Read => Volatile.Read(ref read) ?? Interlocked.CompareExchange(ref read, FusedNode.Read(this), null) ?? read!;

    public void AddUser() => Interlocked.Increment(ref users);

    /// <summary>One tensor stopped using the storage; the last one returns the block to the pool.</summary>
    public void RemoveUser()
    {
        if (Volatile.Read(ref users) == 1)
            RealizeReaders();
        if (Interlocked.Decrement(ref users) == 0 && Interlocked.Exchange(ref block, null) is { } b)
            Device.Memory.Return(b);
    }

    /// <summary>Records a pending tensor whose expression reads this storage (weakly: it may be collected unread).</summary>
    public void AddReader(Tensor pending) => Block?.AddReader(pending);

    /// <summary>Realizes every pending tensor that reads this storage: call before changing it in place.</summary>
    public void RealizeReaders()
    {
        if (Block is not { } b)
            return;
        var waiting = b.TakeReaders();
        for (int i = 0; i < waiting.Count; i++)
        {
            try
            {
                if (!waiting[i].IsDisposed)
                    waiting[i].Realize();
            }
            catch
            {
                // The ones not realized still read this storage.
                for (int k = i; k < waiting.Count; k++)
                    b.AddReader(waiting[k]);
                throw;
            }
        }
    }
}
