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
        var y = Empty(shape, dtype);
        using (EnterLaunch())
        {
            if (dtype == DType.Float32)
                Kernels.Fill(y.View<float>(), (float)value);
            else
                Kernels.Fill(y.View<double>(), value);
        }
        return y;
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

    private Tensor FromHost<T>(T[] data, int[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data, nameof(data));
        if (data.Length == 0)
            throw new ArgumentException("data is empty: a tensor holds at least one element", nameof(data));
        var s = shape is null || shape.Length == 0 ? new Shape(data.Length) : new Shape(shape);
        if (s.Length != data.Length)
            throw new ArgumentException($"data has {data.Length} elements but shape {s} needs {s.Length}", nameof(shape));
        var y = Empty(s, DTypeExtensions.Of<T>());
        using (EnterLaunch())
            y.View<T>().CopyFromCPU(data);
        return y;
    }
}
