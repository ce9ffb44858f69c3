using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>Rows of the elementwise functions.</summary>
public static partial class OpTable
{
    private static IEnumerable<OpCase> ElementwiseRows()
    {
        foreach (var c in Unary("Square", Square, x => x * x))
            yield return c;
        foreach (var c in Binary("Add", Add, (a, b) => a + b))
            yield return c;
    }
}
