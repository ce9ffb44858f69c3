namespace AutoDiff.Gpu.Layers;

/// <summary>
/// A variable that a layer learns (DeZero's and PyTorch's <c>Parameter</c>): a <see cref="Layer"/> finds the
/// parameters held in its fields and auto-properties and hands them to optimizers, while plain variables held there
/// (a recurrent state, a constant) are left out.
/// </summary>
public sealed class Parameter : Variable
{
    /// <summary>Wraps <paramref name="data"/>; the parameter owns it from now on.</summary>
    public Parameter(Tensor data, string? name = null)
        : base(data, name)
    {
    }
}
