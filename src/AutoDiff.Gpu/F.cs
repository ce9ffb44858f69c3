using AutoDiff.Gpu.Functions;

namespace AutoDiff.Gpu;

/// <summary>The differentiable functions, DeZero's lower-case helpers: <c>using static AutoDiff.Gpu.F;</c>.</summary>
public static partial class F
{
    /// <summary>y = x².</summary>
    public static Variable Square(Variable x) => new Square().Call(x)[0];

    /// <summary>y = x0 + x1 (same shape, element type and device).</summary>
    public static Variable Add(Variable x0, Variable x1) => new Add().Call(x0, x1)[0];
}
