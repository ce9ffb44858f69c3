using System.Runtime.CompilerServices;
using ILGPU;

// The layout is a kernel argument: plain data with public fields, unrolled for the GPU.
#pragma warning disable CA1051

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// One operand of a strided launch: a view and its strides in elements, one per dimension of the launch's
/// shape. A stride of 0 repeats the element along that dimension (a broadcast); no strides at all means
/// contiguous row-major in the launch's shape. Strides are non-negative; element 0 of the view is the
/// operand's first element (slice offsets are a <see cref="ArrayView{T}.SubView(long, long)"/>).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="view">The elements.</param>
/// <param name="strides">Strides in elements, one per dimension; empty for contiguous.</param>
public readonly ref struct Strided<T>(ArrayView<T> view, ReadOnlySpan<long> strides)
    where T : unmanaged
{
    /// <summary>The elements.</summary>
    public ArrayView<T> View { get; } = view;

    /// <summary>Strides in elements, one per dimension; empty for contiguous.</summary>
    public ReadOnlySpan<long> Strides { get; } = strides;

    /// <summary>A contiguous operand.</summary>
    public static implicit operator Strided<T>(ArrayView<T> view) => new(view, default);
}

/// <summary>
/// The index arithmetic of a strided launch over up to <see cref="MaxRank"/> dimensions and three operands,
/// after dimensions of size 1 are dropped and adjacent dimensions that every operand walks contiguously
/// are merged. Dimension 0 is the innermost (fastest-varying) one. A kernel argument.
/// </summary>
internal struct StridedLayout
{
    /// <summary>Dimensions a layout holds after merging.</summary>
    public const int MaxRank = 8;

    /// <summary>Number of dimensions (0 for one element).</summary>
    public int Rank;

    /// <summary>Elements in the launch (the product of the sizes).</summary>
    public long Count;

    /// <summary>Sizes, innermost first.</summary>
    public int N0, N1, N2, N3, N4, N5, N6, N7;

    /// <summary>Strides of operand A, innermost first.</summary>
    public long A0, A1, A2, A3, A4, A5, A6, A7;

    /// <summary>Strides of operand B, innermost first.</summary>
    public long B0, B1, B2, B3, B4, B5, B6, B7;

    /// <summary>Strides of operand C, innermost first.</summary>
    public long C0, C1, C2, C3, C4, C5, C6, C7;

    /// <summary>The offsets of element <paramref name="index"/> (row-major over the launch's shape) in operands A, B and C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Offsets(long index, out long a, out long b, out long c)
    {
        a = 0;
        b = 0;
        c = 0;
        long rest = index;
        if (Rank > 0) Step(ref rest, N0, A0, B0, C0, ref a, ref b, ref c);
        if (Rank > 1) Step(ref rest, N1, A1, B1, C1, ref a, ref b, ref c);
        if (Rank > 2) Step(ref rest, N2, A2, B2, C2, ref a, ref b, ref c);
        if (Rank > 3) Step(ref rest, N3, A3, B3, C3, ref a, ref b, ref c);
        if (Rank > 4) Step(ref rest, N4, A4, B4, C4, ref a, ref b, ref c);
        if (Rank > 5) Step(ref rest, N5, A5, B5, C5, ref a, ref b, ref c);
        if (Rank > 6) Step(ref rest, N6, A6, B6, C6, ref a, ref b, ref c);
        if (Rank > 7) Step(ref rest, N7, A7, B7, C7, ref a, ref b, ref c);
    }

    /// <summary>Size of dimension <paramref name="d"/> (host and CPU code).</summary>
    public readonly int Size(int d) => d switch
    {
        0 => N0, 1 => N1, 2 => N2, 3 => N3, 4 => N4, 5 => N5, 6 => N6, 7 => N7,
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };

    /// <summary>Stride of operand <paramref name="operand"/> (0 = A, 1 = B, 2 = C) in dimension <paramref name="d"/> (host and CPU code).</summary>
    public readonly long Stride(int operand, int d) => (operand, d) switch
    {
        (0, 0) => A0, (0, 1) => A1, (0, 2) => A2, (0, 3) => A3, (0, 4) => A4, (0, 5) => A5, (0, 6) => A6, (0, 7) => A7,
        (1, 0) => B0, (1, 1) => B1, (1, 2) => B2, (1, 3) => B3, (1, 4) => B4, (1, 5) => B5, (1, 6) => B6, (1, 7) => B7,
        (2, 0) => C0, (2, 1) => C1, (2, 2) => C2, (2, 3) => C3, (2, 4) => C4, (2, 5) => C5, (2, 6) => C6, (2, 7) => C7,
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };

    /// <summary>True when operand <paramref name="operand"/> is walked contiguously (strides 1, N0, N0·N1, …).</summary>
    public readonly bool IsContiguous(int operand)
    {
        long expected = 1;
        for (int d = 0; d < Rank; d++)
        {
            if (Stride(operand, d) != expected)
                return false;
            expected *= Size(d);
        }
        return true;
    }

    /// <summary>True when every stride of operand <paramref name="operand"/> is 0 (one element repeated).</summary>
    public readonly bool IsScalar(int operand)
    {
        for (int d = 0; d < Rank; d++)
        {
            if (Stride(operand, d) != 0)
                return false;
        }
        return true;
    }

    /// <summary>
    /// The layout of a launch over <paramref name="shape"/> (row-major, outermost first) with operands of the
    /// given strides (outermost first; empty for contiguous), dimensions of size 1 dropped and mergeable ones
    /// merged. Throws when the launch needs more than <see cref="MaxRank"/> dimensions.
    /// </summary>
    public static StridedLayout Create(ReadOnlySpan<int> shape, scoped ReadOnlySpan<long> a, scoped ReadOnlySpan<long> b, scoped ReadOnlySpan<long> c) =>
        TryCreate(shape, a, b, c, out var layout)
            ? layout
            : throw new ArgumentException($"strided launch over shape ({string.Join(", ", shape.ToArray())}) needs more than {MaxRank} dimensions after merging", nameof(shape));

    /// <summary>
    /// <see cref="Create"/>, false instead of an exception when the launch needs more than <see cref="MaxRank"/>
    /// dimensions after merging (the launcher then splits it).
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<int> shape, scoped ReadOnlySpan<long> a, scoped ReadOnlySpan<long> b, scoped ReadOnlySpan<long> c, out StridedLayout layout)
    {
        CheckStrides(shape, a, nameof(a));
        CheckStrides(shape, b, nameof(b));
        CheckStrides(shape, c, nameof(c));
        layout = new StridedLayout();
        Span<long> contiguous = stackalloc long[shape.Length];
        long count = ContiguousStrides(shape, contiguous);
        layout.Count = count;
        if (count == 0)
            return true;
        if (a.IsEmpty) a = contiguous;
        if (b.IsEmpty) b = contiguous;
        if (c.IsEmpty) c = contiguous;

        // Innermost first: each dimension either extends the current merged one or starts a new one.
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int size = shape[d];
            if (size == 1)
                continue;
            int r = layout.Rank;
            if (r > 0)
            {
                int inner = layout.Size(r - 1);
                if (a[d] == layout.Stride(0, r - 1) * inner && b[d] == layout.Stride(1, r - 1) * inner && c[d] == layout.Stride(2, r - 1) * inner)
                {
                    layout.Set(r - 1, checked(inner * size), layout.Stride(0, r - 1), layout.Stride(1, r - 1), layout.Stride(2, r - 1));
                    continue;
                }
            }
            if (r == MaxRank)
                return false;
            layout.Set(r, size, a[d], b[d], c[d]);
            layout.Rank = r + 1;
        }
        return true;
    }

    /// <summary>
    /// Fills <paramref name="strides"/> with the row-major strides of <paramref name="shape"/> (outermost first, the
    /// innermost 1) and returns its element count.
    /// </summary>
    public static long ContiguousStrides(ReadOnlySpan<int> shape, Span<long> strides)
    {
        long count = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(shape[d], nameof(shape));
            strides[d] = count;
            count *= shape[d];
        }
        return count;
    }

    /// <summary>The largest offset operand <paramref name="operand"/> reaches, or −1 for an empty launch.</summary>
    public readonly long MaxOffset(int operand)
    {
        if (Count == 0)
            return -1;
        long offset = 0;
        for (int d = 0; d < Rank; d++)
            offset += (Size(d) - 1) * Stride(operand, d);
        return offset;
    }

    /// <summary>True when operand <paramref name="operand"/> has a stride of 0 in some dimension (it repeats elements).</summary>
    public readonly bool Repeats(int operand)
    {
        for (int d = 0; d < Rank; d++)
        {
            if (Stride(operand, d) == 0)
                return true;
        }
        return false;
    }

    private static void CheckStrides(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, string name)
    {
        if (strides.IsEmpty)
            return;
        if (strides.Length != shape.Length)
            throw new ArgumentException($"{strides.Length} strides for a launch of rank {shape.Length}", name);
        foreach (long stride in strides)
        {
            if (stride < 0)
                throw new ArgumentOutOfRangeException(name, stride, "strides must be non-negative");
        }
    }

    private void Set(int d, int size, long a, long b, long c)
    {
        switch (d)
        {
            case 0: N0 = size; A0 = a; B0 = b; C0 = c; break;
            case 1: N1 = size; A1 = a; B1 = b; C1 = c; break;
            case 2: N2 = size; A2 = a; B2 = b; C2 = c; break;
            case 3: N3 = size; A3 = a; B3 = b; C3 = c; break;
            case 4: N4 = size; A4 = a; B4 = b; C4 = c; break;
            case 5: N5 = size; A5 = a; B5 = b; C5 = c; break;
            case 6: N6 = size; A6 = a; B6 = b; C6 = c; break;
            default: N7 = size; A7 = a; B7 = b; C7 = c; break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref long rest, int size, long sa, long sb, long sc, ref long a, ref long b, ref long c)
    {
        // 32-bit division where the index allows it: 64-bit division is a long routine on GPUs.
        long next = rest <= int.MaxValue ? (int)rest / size : rest / size;
        long coordinate = rest - (next * size);
        rest = next;
        a += coordinate * sa;
        b += coordinate * sb;
        c += coordinate * sc;
    }
}
