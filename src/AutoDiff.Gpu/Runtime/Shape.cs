namespace AutoDiff.Gpu;

/// <summary>An immutable n-dimensional shape; rank 0 is a scalar.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] dims;

    /// <summary>Creates a shape from its dimensions; each must be at least 0 (a dimension of 0 makes an empty tensor, as in NumPy).</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long length = 1;
        foreach (int d in dims)
        {
            if (d < 0)
                throw new ArgumentException($"shape ({string.Join(", ", dims)}) has a dimension of {d}: dimensions cannot be negative", nameof(dims));
            // The high half of the product is 0 exactly when it fits in 63 bits (both factors are at least 0).
            long high = Math.BigMul(length, d, out long product);
            if (high != 0 || product < 0)
                throw new ArgumentException($"shape ({string.Join(", ", dims)}) has more than 2^63 elements: no device holds it", nameof(dims));
            length = product;
        }
        this.dims = dims.AsSpan().ToArray();
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

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])dims.Clone();

    /// <summary>
    /// The shape two operands broadcast to, as NumPy does: aligned on the right, each pair of dimensions equal
    /// or one of them 1.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast; the message names both.</exception>
    public static Shape Broadcast(Shape a, Shape b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Equals(b))
            return a;
        int rank = Math.Max(a.Rank, b.Rank);
        var result = new int[rank];
        for (int i = 1; i <= rank; i++)
        {
            int da = i <= a.Rank ? a.dims[^i] : 1;
            int db = i <= b.Rank ? b.dims[^i] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes {a} and {b} do not broadcast: dimension {da} against {db} (aligned on the right, each pair must be equal or 1)");
            result[rank - i] = da == 1 ? db : da; // 1 against 0 is 0: the empty side wins
        }
        return new Shape(result);
    }

    /// <summary>True when this shape broadcasts to <paramref name="target"/> (NumPy's <c>broadcast_to</c>).</summary>
    public bool BroadcastsTo(Shape target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (Rank > target.Rank)
            return false;
        for (int i = 1; i <= Rank; i++)
        {
            if (dims[^i] != 1 && dims[^i] != target.dims[^i])
                return false;
        }
        return true;
    }

    /// <summary>
    /// Element strides of a row-major tensor of this shape read as <paramref name="target"/>, one per dimension
    /// of the target: 0 along the dimensions it is broadcast along.
    /// </summary>
    internal long[] BroadcastStrides(Shape target)
    {
        var strides = new long[target.Rank];
        long stride = 1;
        for (int i = 1; i <= target.Rank; i++)
        {
            int d = i <= Rank ? dims[^i] : 1;
            strides[target.Rank - i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return strides;
    }

    /// <summary>Row-major element strides.</summary>
    internal long[] Strides()
    {
        var strides = new long[Rank];
        long stride = 1;
        for (int i = Rank - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= dims[i];
        }
        return strides;
    }

    /// <summary>A negative axis counts from the end, as in NumPy; a clear error names the axis and the shape when it is out of range.</summary>
    public int Axis(int axis)
    {
        int a = axis < 0 ? axis + Rank : axis;
        if (a < 0 || a >= Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"axis {axis} is out of range for shape {this} (rank {Rank})");
        return a;
    }

    /// <summary>
    /// The shape with the same elements and <paramref name="newDims"/>; one dimension may be -1 and is then
    /// inferred, as in NumPy.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ, or -1 cannot be inferred.</exception>
    public Shape Reshape(params int[] newDims)
    {
        ArgumentNullException.ThrowIfNull(newDims);
        var result = (int[])newDims.Clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1 && unknown < 0)
                unknown = i;
            else if (result[i] < 0)
                throw new ArgumentException($"cannot reshape {this} to ({string.Join(", ", newDims)}): dimensions must be at least 0, with at most one -1", nameof(newDims));
            else
                known = checked(known * result[i]);
        }
        if (unknown >= 0)
        {
            if (known == 0)
                throw new ArgumentException($"cannot reshape {this} ({Length} elements) to ({string.Join(", ", newDims)}): with a dimension of 0 beside it, -1 could be any size", nameof(newDims));
            if (Length % known != 0)
                throw new ArgumentException($"cannot reshape {this} ({Length} elements) to ({string.Join(", ", newDims)}): {Length} is not a multiple of {known}", nameof(newDims));
            result[unknown] = (int)(Length / known);
        }
        var shape = new Shape(result);
        if (shape.Length != Length)
            throw new ArgumentException($"cannot reshape {this} ({Length} elements) to {shape} ({shape.Length} elements)", nameof(newDims));
        return shape;
    }

    /// <summary>
    /// The axes a gradient of this shape is summed over to give <paramref name="target"/> (DeZero's
    /// <c>sum_to</c>): the leading axes this shape has beyond the target's rank, and those where the target is 1.
    /// </summary>
    /// <exception cref="ArgumentException">This shape does not reduce to <paramref name="target"/>.</exception>
    internal int[] SumToAxes(Shape target)
    {
        if (!target.BroadcastsTo(this))
            throw new ArgumentException($"cannot sum {this} to {target}: {target} does not broadcast to {this}");
        int lead = Rank - target.Rank;
        var axes = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (i < lead || (target.dims[i - lead] == 1 && dims[i] != 1))
                axes.Add(i);
        }
        return [.. axes];
    }

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
