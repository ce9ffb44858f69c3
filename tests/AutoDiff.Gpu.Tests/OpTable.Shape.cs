using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Rows of the functions that reshape, broadcast and reduce.</summary>
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
        foreach (var (shape, axes, keep) in new[]
        {
            (new Shape((6 * 512) + 7), Array.Empty<int>(), false), (new Shape(7, 1000), [0], false), (new Shape(7, 1000), [-1], true),
            (new Shape(2, 3, 4), [0, 2], false), (new Shape(2, 3, 4), [1], true), (Shape.Scalar, [], false),
        })
        {
            yield return new OpCase($"Sum({string.Join(", ", axes)}{(keep ? ", keepDims" : string.Empty)})", v => axes.Length == 0 ? Sum(v[0]) : Sum(v[0], axes, keep), h => h[0].Reduce(axes, keep, 0, (a, b) => a + b), [shape]);
        }
    }
}
