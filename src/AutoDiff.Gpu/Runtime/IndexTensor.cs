namespace AutoDiff.Gpu;

/// <summary>
/// An n-dimensional array of int32 on a device: class labels for <see cref="F.SoftmaxCrossEntropy(Variable,
/// IndexTensor)"/>
/// and <see cref="F.Accuracy(Variable, IndexTensor)"/>, or ids for an embedding. It crosses to the device once and
/// serves every call that reads it. It keeps the least and greatest value it was made from, so that the calls
/// check their range without reading it back. Its buffer returns to the pool on <see cref="Dispose"/>, or once the
/// GC finds it unreachable.
/// </summary>
public sealed class IndexTensor : IDisposable
{
    private int disposed;

    internal IndexTensor(Device device, ReadOnlySpan<int> values, Shape shape)
    {
        if (shape.Length != values.Length)
            throw new ArgumentException(
                $"{values.Length} indices but shape {shape} needs {shape.Length}", nameof(shape));
        if (values.Length > 0)
            (Min, Max) = RangeOf(values);
        Shape = shape;
        Buffer = new IndexBuffer(device, values);
    }

    /// <summary>The device holding the values.</summary>
    public Device Device => Buffer.Device;

    /// <summary>The shape.</summary>
    public Shape Shape { get; }

    /// <summary>Number of values.</summary>
    public int Length => Buffer.Length;

    /// <summary>The least value (0 when there is none).</summary>
    public int Min { get; }

    /// <summary>The greatest value (0 when there is none).</summary>
    public int Max { get; }

    /// <summary>True once disposed, or its device was.</summary>
    public bool IsDisposed => Volatile.Read(ref disposed) != 0 || Device.IsDisposed;

    /// <summary>The values on the device, for kernels.</summary>
    internal IndexBuffer Buffer { get; }

    /// <summary>Copies the values to a new host array (row-major). Waits for pending work.</summary>
    public int[] ToArray()
    {
        ThrowIfDisposed();
        return Buffer.ToArray();
    }

    /// <summary>A copy on <paramref name="device"/>, through host memory.</summary>
    public IndexTensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new IndexTensor(device, ToArray(), Shape);
    }

    /// <summary>Returns the buffer to the pool now. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
            Buffer.Release();
    }

    /// <summary>NumPy style: <c>indices([1, 0, 2])</c> with the shape when it has several axes.</summary>
    public override string ToString() =>
        IsDisposed ? "indices(disposed)"
        : $"indices([{string.Join(", ", ToArray())}]{(Shape.Rank == 1 ? string.Empty : $", shape={Shape}")})";

    /// <summary>Throws <see cref="ObjectDisposedException"/> once disposed.</summary>
    internal void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw new ObjectDisposedException(nameof(IndexTensor), $"indices {Shape} on {Device.Id} were disposed");
    }

    private static (int Min, int Max) RangeOf(ReadOnlySpan<int> values)
    {
        int min = int.MaxValue, max = int.MinValue;
        foreach (int v in values)
            (min, max) = (Math.Min(min, v), Math.Max(max, v));
        return (min, max);
    }
}
