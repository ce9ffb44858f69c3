using System.Globalization;
using System.Text;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>
/// An n-dimensional array of float32 or float64 in device memory. Operations never copy it through the
/// host; <see cref="ToArray{T}"/> reads it back explicitly. Its buffer returns to the device's pool on
/// <see cref="Dispose"/>, when a <see cref="TensorScope"/> ends, or once the GC finds the tensor unreachable
/// (see <see cref="DeviceMemory"/>): disposing is optional.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly Device device;
    private Storage? storage; // null while pending
    private FusedNode? pending;
    private int disposed;

    internal Tensor(Device device, DType dtype, Shape shape)
    {
        Shape = shape;
        DType = dtype;
        this.device = device;
        storage = NewStorage(device, shape, dtype);
        TensorScope.Track(this);
    }

    /// <summary>A pending tensor: <paramref name="node"/> not yet computed (see <see cref="Fuser"/>).</summary>
    internal Tensor(Device device, DType dtype, Shape shape, FusedNode node)
    {
        Shape = shape;
        DType = dtype;
        ByteCount(shape, dtype);
        this.device = device;
        pending = node;
        foreach (var leaf in node.Inputs)
            leaf.Input!.AddReader(this);
        TensorScope.Track(this);
    }

    /// <summary>A view of <paramref name="source"/>'s data with another shape of the same length.</summary>
    private Tensor(Tensor source, Shape shape)
    {
        Shape = shape;
        DType = source.DType;
        device = source.device;
        storage = source.storage!;
        storage.AddUser();
        TensorScope.Track(this);
    }

    /// <summary>The device holding the data.</summary>
    public Device Device => device;

    /// <summary>
    /// True while the tensor is an expression not yet computed (see <see cref="Fuser"/>): it is computed when it is
    /// read, when an operation other than an elementwise one or a reduction takes it, or by <see cref="Realize"/>.
    /// A reduction evaluates it inside its own kernel.
    /// </summary>
    public bool IsPending => Volatile.Read(ref pending) is not null;

    /// <summary>The pending expression, or null once computed.</summary>
    internal FusedNode? Pending => Volatile.Read(ref pending);

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The shape.</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements.</summary>
    public long Length => Shape.Length;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>Bytes of data (the pool block may be larger).</summary>
    public long ByteLength => Shape.Length * DType.Size();

    /// <summary>True once this tensor was disposed, or its device was.</summary>
    public bool IsDisposed => Volatile.Read(ref disposed) != 0 || device.IsDisposed;

    /// <summary>The scope that will dispose this tensor, if any (see <see cref="TensorScope"/>).</summary>
    internal TensorScope? Scope { get; set; }

    /// <summary>Copies the data to a new host array; <typeparamref name="T"/> must match <see cref="DType"/>. Waits for pending work.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var expected = DTypeExtensions.Of<T>();
        if (expected != DType)
            throw new InvalidOperationException($"tensor {Shape} holds {DType.Name()}, not {expected.Name()}: read it with ToArray<{(DType == DType.Float32 ? "float" : "double")}>() or ToDoubleArray()");
        if (Length > Array.MaxLength)
            throw new InvalidOperationException($"tensor {Shape} has {Length:N0} elements, more than a host array holds ({Array.MaxLength:N0})");
        var result = new T[Length];
        Launch.Download<T>(this, result);
        return result;
    }

    /// <summary>Copies the data to a new host array of doubles, whatever the element type.</summary>
    public double[] ToDoubleArray() => DType == DType.Float64 ? ToArray<double>() : Array.ConvertAll(ToArray<float>(), f => (double)f);

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        if (Length != 1)
            throw new InvalidOperationException($"Item() needs a tensor of one element, this one has shape {Shape}");
        return ToDoubleArray()[0];
    }

    /// <summary>
    /// A copy of this tensor on <paramref name="device"/>: device to device when both are handles on one
    /// accelerator, through host memory otherwise.
    /// </summary>
    public Tensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ThrowIfDisposed();
        var y = device.Empty(Shape, DType);
        if (device.SharesAcceleratorWith(Device))
            Launch.Copy(this, y);
        else if (DType == DType.Float32)
            Launch.Upload<float>(y, ToArray<float>());
        else
            Launch.Upload<double>(y, ToArray<double>());
        return y;
    }

    /// <summary>A copy of this tensor converted to <paramref name="dtype"/> (a copy even when it already has that type).</summary>
    public Tensor To(DType dtype)
    {
        ThrowIfDisposed();
        if (dtype == DType)
            return To(Device);
        var y = Device.Empty(Shape, dtype);
        Launch.Convert(this, y);
        return y;
    }

    /// <summary>
    /// Returns the buffer to the device's pool now (once no reshaped view of it is left). Using the tensor
    /// afterwards throws <see cref="ObjectDisposedException"/>. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.CompareExchange(ref disposed, 1, 0) == 0)
            Release();
    }

    /// <summary>
    /// Computes a pending tensor now (see <see cref="IsPending"/>); nothing to do for one already computed. Reading a
    /// tensor does this by itself: call it to place the work, or before timing.
    /// </summary>
    /// <exception cref="DeviceOutOfMemoryException">The result does not fit; the tensor stays pending.</exception>
    public Tensor Realize()
    {
        ThrowIfDisposed();
        RealizedStorage();
        return this;
    }

    /// <summary>The storage, computing a pending tensor first.</summary>
    private Storage RealizedStorage()
    {
        if (Volatile.Read(ref storage) is { } s)
            return s;
        var node = Pending ?? throw Disposed();
        lock (node)
        {
            if (Volatile.Read(ref storage) is { } again)
                return again;
            var made = NewStorage(device, Shape, DType);
            try
            {
                Fuser.Run(node, made, Length, DType);
            }
            catch
            {
                made.RemoveUser();
                throw;
            }
            Volatile.Write(ref storage, made);
            if (Interlocked.CompareExchange(ref pending, null, node) != node)
                made.RemoveUser(); // disposed meanwhile
            return made;
        }
    }

    private static Storage NewStorage(Device device, Shape shape, DType dtype)
    {
        try
        {
            return new Storage(device, ByteCount(shape, dtype));
        }
        catch (DeviceOutOfMemoryException e)
        {
            throw e.For($"tensor {shape} {dtype.Name()}:");
        }
    }

    /// <summary>Disposes this tensor as the scope holding it ends, so that a later use names that scope.</summary>
    internal void DisposeWithScope()
    {
        if (Interlocked.CompareExchange(ref disposed, 2, 0) == 0)
            Release();
    }

    /// <summary>Drops a pending expression, or gives up this tensor's use of its storage.</summary>
    private void Release()
    {
        if (Interlocked.Exchange(ref pending, null) is null)
            Volatile.Read(ref storage)?.RemoveUser();
    }

    /// <summary>NumPy style: <c>2.0</c>, <c>[1.0, 2.0]</c>; large tensors show shape, type, device and their first values.</summary>
    public override string ToString()
    {
        if (IsDisposed)
            return $"tensor(disposed, shape={Shape}, {DType.Name()}, {Device.Id})";
        if (Length > 64)
            return Summary();
        var values = ToDoubleArray();
        var text = new StringBuilder();
        int offset = 0;
        Append(text, values, 0, ref offset);
        return text.ToString();
    }

    /// <summary>A tensor of <paramref name="shape"/> sharing this one's data (no copy); the lengths must match.</summary>
    internal Tensor ViewAs(Shape shape)
    {
        ThrowIfDisposed();
        if (shape.Length != Length)
            throw new ArgumentException($"cannot view tensor {Shape} ({Length:N0} elements) as {shape} ({shape.Length:N0} elements)", nameof(shape));
        // An elementwise expression is the same at any shape of its length: a pending view stays pending.
        if (Pending is { } node)
            return new Tensor(device, DType, shape, node);
        return new Tensor(this, shape);
    }

    internal ArrayView<T> View<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        var b = RealizedStorage().Block ?? throw Disposed();
        return b.View<T>(ByteLength);
    }

    /// <summary>The storage of a computed tensor (computing it first), for expressions that read it.</summary>
    internal Storage Storage
    {
        get
        {
            ThrowIfDisposed();
            return RealizedStorage();
        }
    }

    /// <summary>Realizes the pending tensors that read this one: call before changing it in place.</summary>
    internal void BeforeWrite() => Volatile.Read(ref storage)?.RealizeReaders();

    /// <summary>The bytes of data a tensor of <paramref name="shape"/> and <paramref name="dtype"/> holds; a clear error when that overflows.</summary>
    internal static long ByteCount(Shape shape, DType dtype)
    {
        long size = dtype.Size();
        if (shape.Length > long.MaxValue / size)
            throw new ArgumentException($"tensor {shape} {dtype.Name()} would need {shape.Length:N0} × {size} bytes, more than 2^63: no device holds it", nameof(shape));
        return shape.Length * size;
    }

    internal ObjectDisposedException Disposed() => device.IsDisposed
        ? new(nameof(Tensor), $"tensor {Shape} {DType.Name()} is gone: its device {Device.Id} was disposed")
        : new(nameof(Tensor), $"tensor {Shape} {DType.Name()} on {Device.Id} was disposed{DisposalNote}: its buffer went back to the pool");

    /// <summary>Empty, or how the tensor was disposed when a scope did it (with the cure).</summary>
    internal string DisposalNote => Volatile.Read(ref disposed) == 2
        ? " by the TensorScope it was made in (Keep it, or TensorScope.Detach state that outlives the scope)"
        : "";

    internal void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw Disposed();
    }

    internal static string Format(double value, DType dtype)
    {
        string s = dtype == DType.Float32
            ? ((float)value).ToString("R", CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
        return double.IsFinite(value) && !s.Contains('.', StringComparison.Ordinal) && !s.Contains('E', StringComparison.Ordinal) ? s + ".0" : s;
    }

    private string Summary()
    {
        int count = (int)Math.Min(6, Length);
        var head = new double[count];
        if (DType == DType.Float32)
        {
            var f = new float[count];
            Launch.Download<float>(this, f);
            for (int i = 0; i < count; i++)
                head[i] = f[i];
        }
        else
        {
            Launch.Download<double>(this, head);
        }
        return $"tensor(shape={Shape}, {DType.Name()}, {Device.Id}, [{string.Join(", ", head.Select(v => Format(v, DType)))}, ...])";
    }

    private void Append(StringBuilder text, double[] values, int axis, ref int offset)
    {
        if (axis == Rank)
        {
            text.Append(Format(values[offset++], DType));
            return;
        }
        text.Append('[');
        for (int i = 0; i < Shape[axis]; i++)
        {
            if (i > 0)
                text.Append(", ");
            Append(text, values, axis + 1, ref offset);
        }
        text.Append(']');
    }
}
