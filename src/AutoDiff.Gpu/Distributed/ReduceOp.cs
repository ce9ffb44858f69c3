namespace AutoDiff.Gpu.Distributed;

/// <summary>How a reducing collective combines the ranks' values, element by element.</summary>
public enum ReduceOp
{
    /// <summary>The sum over ranks.</summary>
    Sum,

    /// <summary>The sum over ranks divided by the number of ranks.</summary>
    Mean,

    /// <summary>The largest value over ranks.</summary>
    Max,
}
