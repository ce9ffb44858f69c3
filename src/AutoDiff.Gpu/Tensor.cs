using System.Globalization;
using System.Text;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>
/// An n-dimensional array of float32 or float64 in one device buffer. Operations never copy it through the
/// host; <see cref="ToArray{T}"/> reads it back explicitly. Its buffer returns to the device's pool on
/// <see cref="Dispose"/>, when a <see cref="TensorScope"/> ends, or once the GC finds the tensor unreachable
/// (see <see cref="DeviceMemory"/>): disposing is optional.
/// </summary>
public sealed class Tensor : IDisposable
{
    private MemoryBlock? block;

    internal Tensor(Device device, DType dtype, Shape shape)
    {
        Device = device;
        DType = dtype;
        Shape = shape;
        block = device.Memory.Rent(ByteCount(shape, dtype), this);
        TensorScope.Track(this);
    }

    /// <summary>The device holding the data.</summary>
    public Device Device { get; }

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

    /// <summary>True once the buffer went back to the pool.</summary>
    public bool IsDisposed => Volatile.Read(ref block) is null;

    /// <summary>Grad slots (of variables) and backward steps holding this tensor; see <see cref="Variable"/>.</summary>
    internal int Holds { get; set; }

    /// <summary>Set once user code has been handed this tensor as a gradient: the engine then never releases it early.</summary>
    internal bool Exposed { get; set; }

    /// <summary>Copies the data to a new host array; <typeparamref name="T"/> must match <see cref="DType"/>. Waits for pending work.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var expected = DTypeExtensions.Of<T>();
        if (expected != DType)
            throw new InvalidOperationException($"tensor {Shape} holds {DType.Name()}, not {expected.Name()}: read it with ToArray<{(DType == DType.Float32 ? "float" : "double")}>() or ToDoubleArray()");
        var result = new T[Length];
        Device.EnterLaunch();
        View<T>().CopyToCPU(result);
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

    /// <summary>Returns the buffer to the device's pool now. Using the tensor afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        var b = Interlocked.Exchange(ref block, null);
        if (b is null)
            return;
        Device.Memory.Return(b);
    }

    /// <summary>NumPy style: <c>2.0</c>, <c>[1.0, 2.0]</c>; large tensors show shape, type, device and their first values.</summary>
    public override string ToString()
    {
        if (IsDisposed)
            return $"tensor(disposed, shape={Shape}, {DType.Name()})";
        if (Length > 64)
            return Summary();
        var values = ToDoubleArray();
        var text = new StringBuilder();
        int offset = 0;
        Append(text, values, 0, ref offset);
        return text.ToString();
    }

    internal ArrayView<T> View<T>() where T : unmanaged
    {
        var b = Volatile.Read(ref block) ?? throw Disposed();
        return b.Bytes.Cast<T>().SubView(0, Length);
    }

    /// <summary>The bytes of data a tensor of <paramref name="shape"/> and <paramref name="dtype"/> holds; a clear error when that overflows.</summary>
    internal static long ByteCount(Shape shape, DType dtype)
    {
        try
        {
            return checked(shape.Length * dtype.Size());
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"tensor {shape} {dtype.Name()} would need {shape.Length:N0} × {dtype.Size()} bytes, more than 2^63: no device holds it", nameof(shape));
        }
    }

    internal ObjectDisposedException Disposed() =>
        new(nameof(Tensor), $"tensor {Shape} {DType.Name()} on {Device.Id} was disposed: its buffer went back to the pool");

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
        Device.EnterLaunch();
        int count = (int)Math.Min(6, Length);
        var head = new double[count];
        if (DType == DType.Float32)
        {
            var f = new float[count];
            View<float>().SubView(0, count).CopyToCPU(f);
            for (int i = 0; i < count; i++)
                head[i] = f[i];
        }
        else
        {
            View<double>().SubView(0, count).CopyToCPU(head);
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
