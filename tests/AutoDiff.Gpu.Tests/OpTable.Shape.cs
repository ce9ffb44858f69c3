using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Rows of the functions that reshape, broadcast, reduce, transpose and index.</summary>
public static partial class OpTable
{
    private static IEnumerable<OpCase> ShapeRows()
    {
        foreach (var (from, to) in new[] { (new Shape(7, 1000), new Shape(1000)), (new Shape(2, 3, 4), new Shape(3, 1)), (new Shape(5), Shape.Scalar), (new Shape(3, 4), new Shape(3, 4)) })
            yield return new OpCase($"SumTo{to}", v => SumTo(v[0], to), h => from.Equals(to) ? h[0] : Reshaped(h[0].Reduce(from.SumToAxes(to), true, 0, (a, b) => a + b), to), [from]);
        foreach (var (from, to) in new[] { (new Shape(1000), new Shape(7, 1000)), (new Shape(3, 1), new Shape(2, 3, 4)), (Shape.Scalar, new Shape(5)) })
            yield return new OpCase($"BroadcastTo{to}", v => BroadcastTo(v[0], to), h => h[0].BroadcastTo(to), [from]);
        foreach (var (from, to) in new[] { (new Shape(6, 4), new[] { 3, 8 }), (new Shape(24), new[] { 2, -1, 4 }), (new Shape(2, 3), new[] { 6 }) })
            yield return new OpCase($"Reshape({string.Join(", ", to)})", v => Reshape(v[0], to), h => Reshaped(h[0], h[0].Shape.Reshape(to)), [from]);
        foreach (var (shape, axes, keep) in Reductions)
        {
            string args = $"({string.Join(", ", axes)}{(keep ? ", keepDims" : string.Empty)})";
            yield return new OpCase($"Sum{args}", v => axes.Length == 0 ? Sum(v[0]) : Sum(v[0], axes, keep), h => h[0].Reduce(axes, keep, 0, (a, b) => a + b), [shape]);
            yield return new OpCase($"Mean{args}", v => axes.Length == 0 ? Mean(v[0]) : Mean(v[0], axes, keep), h => MeanOf(h[0], axes, keep), [shape]);
            yield return new OpCase($"Max{args}", v => axes.Length == 0 ? Max(v[0]) : Max(v[0], axes, keep), h => h[0].Reduce(axes, keep, double.NegativeInfinity, Math.Max), [shape]);
            yield return new OpCase($"Min{args}", v => axes.Length == 0 ? Min(v[0]) : Min(v[0], axes, keep), h => h[0].Reduce(axes, keep, double.PositiveInfinity, Math.Min), [shape]);
        }
        foreach (var (shape, axes) in new (Shape, int[])[]
        {
            (new Shape(7, 1000), []), (new Shape(33, 65), []), (new Shape(2, 3, 4), [1, 0, 2]), (new Shape(2, 3, 4), [2, 0, 1]),
            (new Shape(3, 5, 2, 7), [-1, 1, 0, 2]), (new Shape(1, 5), []), (new Shape(5), []),
            (new Shape(2, 2, 2, 2, 2, 2, 2, 2, 2, 2), []), (new Shape(2, 2, 2, 2, 2, 2, 2, 2, 2, 2), [1, 0, 3, 2, 5, 4, 7, 6, 9, 8]),
        })
        {
            yield return new OpCase($"Transpose({string.Join(", ", axes)})", v => Transpose(v[0], axes), h => Transposed(h[0], axes), [shape]);
        }
        foreach (var c in IndexRows())
            yield return c;
    }

    /// <summary>Reductions: all of a size that is not a multiple of a group, each axis of a matrix, runs of axes, a scalar.</summary>
    private static readonly (Shape Shape, int[] Axes, bool KeepDims)[] Reductions =
    [
        (new Shape((6 * 512) + 7), [], false), (new Shape(7, 1000), [0], false), (new Shape(7, 1000), [-1], true),
        (new Shape(2, 3, 4), [0, 2], false), (new Shape(2, 3, 4), [1], true), (Shape.Scalar, [], false),
    ];

    /// <summary>Indexing: DeZero's get_item with NumPy's semantics, each row against coordinates written out by hand.</summary>
    private static IEnumerable<OpCase> IndexRows()
    {
        var m = new Shape(7, 1000);
        var c = new Shape(9, 5, 4);
        yield return Index("x[1:5:2]", m, x => x[TensorIndex.Slice(1, 5, 2)], new Shape(2, 1000), i => [1 + (2 * i[0]), i[1]]);
        yield return Index("x[1:8:3, :, 3]", c, x => x[TensorIndex.Slice(1, 8, 3), .., 3], new Shape(3, 5), i => [1 + (3 * i[0]), i[1], 3]);
        yield return Index("x[-3:]", m, x => x[^3..], new Shape(3, 1000), i => [4 + i[0], i[1]]);
        yield return Index("x[2]", m, x => x[2], new Shape(1000), i => [2, i[0]]);
        yield return Index("x[-1, 999:2:-7]", m, x => x[^1, TensorIndex.Slice(999, 2, -7)], new Shape(143), i => [6, 999 - (7 * i[0])]);
        yield return Index("x[::-1]", c, x => x[TensorIndex.Slice(step: -1)], c, i => [8 - i[0], i[1], i[2]]);
        yield return Index("x[7:0:-3, ::-2, 1:]", c, x => x[TensorIndex.Slice(7, 0, -3), TensorIndex.Slice(step: -2), 1..], new Shape(3, 3, 3), i => [7 - (3 * i[0]), 4 - (2 * i[1]), 1 + i[2]]);
        yield return Index("x[..., 2]", c, x => x[TensorIndex.Ellipsis, 2], new Shape(9, 5), i => [i[0], i[1], 2]);
        yield return Index("x[:, None, 1]", c, x => x[.., TensorIndex.NewAxis, 1], new Shape(9, 1, 4), i => [i[0], 1, i[2]]);
        int[] repeats = [0, 2, 2, -1], picks = [4, 0, 4, 1], shuffle = [3, 1, 0, 2, 4], same = [3, 3], first = [0, 8, 8], second = [1, 2, 2], rows01 = [0, 1], lasts = [1, 3], cols = [0, 2, 0];
        yield return Index("x[[0, 2, 2, -1]]", m, x => x[repeats], new Shape(4, 1000), i => [(repeats[i[0]] + 7) % 7, i[1]]);
        yield return Index("x[:, [4, 0, 4, 1]]", c, x => x[.., picks], new Shape(9, 4, 4), i => [i[0], picks[i[1]], i[2]]);
        yield return Index("x[:, [3, 1, 0, 2, 4]]", c, x => x[.., shuffle], c, i => [i[0], shuffle[i[1]], i[2]]);
        yield return Index("x[2:7, [3, 3]]", c, x => x[2..7, same], new Shape(5, 2, 4), i => [2 + i[0], 3, i[2]]);
        yield return Index("x[[0, 8, 8], [1, 2, 2]]", c, x => x[first, second], new Shape(3, 4), i => [first[i[0]], second[i[0]], i[1]]);
        yield return Index("x[[0, 1], :, [1, 3]]", c, x => x[rows01, .., lasts], new Shape(2, 5), i => [rows01[i[0]], i[1], lasts[i[0]]]);
        yield return Index("x[1, :, [0, 2, 0]]", c, x => x[1, .., cols], new Shape(3, 5), i => [1, i[1], cols[i[0]]]);
        var t = Enumerable.Range(0, 1000).Select(i => (i * 7) % 13).ToArray();
        var rows = new Shape(1000, 13);
        yield return Index("x[arange(N), t]", rows, x => x[Enumerable.Range(0, 1000).ToArray(), t], new Shape(1000), i => [i[0], t[i[0]]]);
        yield return Index("PickPerRow", rows, x => PickPerRow(x, t), new Shape(1000), i => [i[0], t[i[0]]]);
        var ids = new[] { 3, 0, 3, 8, -1 };
        yield return Index("Take(axis 1)", new Shape(2, 9, 3), x => Take(x, ids, axis: 1), new Shape(2, 5, 3), i => [i[0], (ids[i[1]] + 9) % 9, i[2]]);
    }

    /// <summary>An indexing row: element i of the result is the input at <paramref name="source"/>(coordinates of i).</summary>
    private static OpCase Index(string name, Shape shape, Func<Variable, Variable> f, Shape result, Func<int[], int[]> source) =>
        new($"GetItem {name}", v => f(v[0]), h => Pick(h[0], result, source), [shape]);

    private static HostArray Pick(HostArray h, Shape result, Func<int[], int[]> source)
    {
        var strides = h.Shape.Strides();
        var data = new double[result.Length];
        var index = new int[result.Rank];
        for (long i = 0; i < data.Length; i++)
        {
            long rest = i;
            for (int d = result.Rank - 1; d >= 0; d--)
            {
                index[d] = (int)(rest % result[d]);
                rest /= result[d];
            }
            var at = source(index);
            long offset = 0;
            for (int d = 0; d < at.Length; d++)
                offset += at[d] * strides[d];
            data[i] = h.Data[offset];
        }
        return new HostArray(data, result);
    }

    private static HostArray Transposed(HostArray h, int[] axes)
    {
        int rank = h.Shape.Rank;
        var order = axes.Length == 0 ? Enumerable.Range(0, rank).Reverse().ToArray() : axes.Select(a => a < 0 ? a + rank : a).ToArray();
        var result = new Shape(order.Select(a => h.Shape[a]).ToArray());
        return Pick(h, result, i =>
        {
            var at = new int[rank];
            for (int d = 0; d < rank; d++)
                at[order[d]] = i[d];
            return at;
        });
    }

    private static HostArray MeanOf(HostArray h, int[] axes, bool keepDims)
    {
        var sum = h.Reduce(axes, keepDims, 0, (a, b) => a + b);
        return sum.Map(v => v * sum.Length / h.Length);
    }
}
