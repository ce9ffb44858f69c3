using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

/// <summary>Creating tensors on a device.</summary>
public sealed partial class Device
{
    /// <summary>The element type of tensors created without one: float32, as on GPUs generally.</summary>
    public const DType DefaultDType = DType.Float32;

    /// <summary>A float64 scalar (shape <c>()</c>), like <c>np.array(1.0)</c>.</summary>
    public Tensor Scalar(double value) => Full(Shape.Scalar, value, DType.Float64);

    /// <summary>A float32 scalar (shape <c>()</c>).</summary>
    public Tensor Scalar(float value) => Full(Shape.Scalar, value, DType.Float32);

    /// <summary>A float32 tensor of ones.</summary>
    public Tensor Ones(params int[] shape) => Full(new Shape(shape), 1, DefaultDType);

    /// <summary>A float32 tensor of zeros.</summary>
    public Tensor Zeros(params int[] shape) => Full(new Shape(shape), 0, DefaultDType);

    /// <summary>A tensor of ones.</summary>
    public Tensor Ones(Shape shape, DType dtype) => Full(shape, 1, dtype);

    /// <summary>A tensor of zeros.</summary>
    public Tensor Zeros(Shape shape, DType dtype) => Full(shape, 0, dtype);

    /// <summary>A tensor with every element <paramref name="value"/>.</summary>
    public Tensor Full(Shape shape, double value, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ThrowIfDisposed();
        return Launch.Full(this, shape, dtype, value);
    }

    /// <summary>A tensor whose contents are whatever its pool block held: fill it before reading.</summary>
    public Tensor Empty(Shape shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ThrowIfDisposed();
        return new Tensor(this, dtype, shape);
    }

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/>, shaped as <paramref name="shape"/> (default: one dimension).</summary>
    public Tensor FromArray(float[] data, params int[] shape) => FromHost<float>(data, shape);

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/>, shaped as <paramref name="shape"/> (default: one dimension).</summary>
    public Tensor FromArray(double[] data, params int[] shape) => FromHost<double>(data, shape);

    /// <summary>A float32 tensor of <paramref name="shape"/> (a scalar shape included) holding a copy of <paramref name="data"/>.</summary>
    public Tensor FromArray(float[] data, Shape shape) => FromSpan<float>(data, shape ?? throw new ArgumentNullException(nameof(shape)));

    /// <summary>A float64 tensor of <paramref name="shape"/> (a scalar shape included) holding a copy of <paramref name="data"/>.</summary>
    public Tensor FromArray(double[] data, Shape shape) => FromSpan<double>(data, shape ?? throw new ArgumentNullException(nameof(shape)));

    /// <summary>
    /// A tensor holding a copy of a multi-dimensional host array (<c>float[,]</c>, <c>double[,,]</c>, …), with its
    /// shape and element type.
    /// </summary>
    /// <exception cref="ArgumentException">The elements are not float or double.</exception>
    public Tensor FromArray(Array data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var dims = new int[data.Rank];
        for (int i = 0; i < dims.Length; i++)
            dims[i] = data.GetLength(i);
        var shape = new Shape(dims);
        var type = data.GetType().GetElementType();
        if (type == typeof(float))
            return FromSpan(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.As<byte, float>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data)), data.Length), shape);
        if (type == typeof(double))
            return FromSpan(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.As<byte, double>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data)), data.Length), shape);
        throw new ArgumentException($"a {type?.Name}[{new string(',', data.Rank - 1)}] cannot be a tensor: use float or double elements", nameof(data));
    }

    /// <summary>
    /// Int32 values on this device (class labels, embedding ids), shaped as <paramref name="shape"/> (default: one
    /// dimension).
    /// </summary>
    /// <exception cref="ArgumentException">The shape does not hold the values' count.</exception>
    public IndexTensor FromIndices(int[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ThrowIfDisposed();
        return new IndexTensor(this, values, shape is null || shape.Length == 0 ? new Shape(values.Length) : new Shape(shape));
    }

    private Tensor FromHost<T>(T[] data, int[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data, nameof(data));
        return FromSpan<T>(data, shape is null || shape.Length == 0 ? new Shape(data.Length) : new Shape(shape));
    }

    private Tensor FromSpan<T>(ReadOnlySpan<T> data, Shape shape) where T : unmanaged
    {
        if (shape.Length != data.Length)
            throw new ArgumentException($"data has {data.Length} elements but shape {shape} needs {shape.Length}", nameof(shape));
        var y = Empty(shape, DTypeExtensions.Of<T>());
        Launch.Upload(y, data);
        return y;
    }
}
