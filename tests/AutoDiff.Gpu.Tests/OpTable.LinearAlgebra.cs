namespace AutoDiff.Gpu.Tests;

/// <summary>Rows of matrix products and losses.</summary>
public static partial class OpTable
{
    private static IEnumerable<OpCase> LinearAlgebraRows()
    {
        yield break;
    }
}
