namespace AutoDiff.Gpu;

/// <summary>The element type of a tensor.</summary>
public enum DType
{
    /// <summary>32-bit IEEE 754 float (<see cref="float"/>).</summary>
    Float32,

    /// <summary>64-bit IEEE 754 float (<see cref="double"/>).</summary>
    Float64,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype switch
    {
        DType.Float32 => sizeof(float),
        DType.Float64 => sizeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown element type"),
    };

    /// <summary>The NumPy-style name: <c>float32</c> or <c>float64</c>.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown element type"),
    };

    /// <summary>Parses <c>float32</c>/<c>f32</c>/<c>float</c> or <c>float64</c>/<c>f64</c>/<c>double</c>.</summary>
    public static DType Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "float32" or "f32" or "float" or "single" => DType.Float32,
        "float64" or "f64" or "double" => DType.Float64,
        _ => throw new ArgumentException($"unknown element type '{text}': use float32 or float64", nameof(text)),
    };

    /// <summary>The element type of <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : throw new NotSupportedException($"element type {typeof(T).Name} is not supported: use float or double");
}
