namespace AutoDiff.Gpu;

/// <summary>
/// The differentiable functions, DeZero's lower-case helpers: <c>using static AutoDiff.Gpu.F;</c>. Each function's
/// file in <c>Functions/</c> adds its helper to this class.
/// </summary>
public static partial class F
{
    /// <summary>x itself when it already has <paramref name="shape"/>, else the function <paramref name="make"/> gives for the shape, applied to x.</summary>
    private static Variable ToShape(Variable x, Shape shape, Func<Shape, Function> make)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(shape);
        return x.Shape.Equals(shape) ? x : make(shape).Call(x)[0];
    }
}
