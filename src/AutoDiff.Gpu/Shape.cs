namespace AutoDiff.Gpu;

/// <summary>An immutable n-dimensional shape; rank 0 is a scalar.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] dims;

    /// <summary>Creates a shape from its dimensions; each must be at least 1.</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long length = 1;
        foreach (int d in dims)
        {
            if (d < 1)
                throw new ArgumentException($"shape ({string.Join(", ", dims)}) has a dimension of {d}: every dimension must be at least 1", nameof(dims));
            if (length > long.MaxValue / d)
                throw new ArgumentException($"shape ({string.Join(", ", dims)}) has more than 2^63 elements: no device holds it", nameof(dims));
            length *= d;
        }
        this.dims = (int[])dims.Clone();
        Length = length;
    }

    /// <summary>The scalar shape <c>()</c>.</summary>
    public static Shape Scalar { get; } = new();

    /// <summary>Number of dimensions.</summary>
    public int Rank => dims.Length;

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Dimension <paramref name="axis"/>.</summary>
    public int this[int axis] => dims[axis];

    /// <summary>The dimensions.</summary>
    public ReadOnlySpan<int> Dimensions => dims;

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && dims.AsSpan().SequenceEqual(other.dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Shape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in dims)
            hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>NumPy style: <c>()</c>, <c>(3,)</c>, <c>(100, 100, 100)</c>.</summary>
    public override string ToString() => dims.Length == 1 ? $"({dims[0]},)" : $"({string.Join(", ", dims)})";
}
