namespace AutoDiff.Gpu;

/// <summary>Constants shaped like a variable or a tensor (NumPy's and PyTorch's <c>ones_like</c>, <c>zeros_like</c>).</summary>
public static partial class F
{
    /// <summary>A new variable of ones with <paramref name="x"/>'s shape, element type and device; no graph is recorded.</summary>
    public static Variable OnesLike(Variable x) => FullLike(x, 1);

    /// <summary>A new variable of zeros with <paramref name="x"/>'s shape, element type and device; no graph is recorded.</summary>
    public static Variable ZerosLike(Variable x) => FullLike(x, 0);

    /// <summary>A new variable of <paramref name="value"/> with <paramref name="x"/>'s shape, element type and device.</summary>
    /// <exception cref="ObjectDisposedException"><paramref name="x"/> was disposed.</exception>
    public static Variable FullLike(Variable x, double value)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.IsDisposed)
            throw x.DisposedError(nameof(FullLike));
        return new Variable(FullLike(x.Data, value));
    }

    /// <summary>A new tensor of ones with <paramref name="t"/>'s shape, element type and device.</summary>
    public static Tensor OnesLike(Tensor t) => FullLike(t, 1);

    /// <summary>A new tensor of zeros with <paramref name="t"/>'s shape, element type and device.</summary>
    public static Tensor ZerosLike(Tensor t) => FullLike(t, 0);

    /// <summary>A new tensor of <paramref name="value"/> with <paramref name="t"/>'s shape, element type and device.</summary>
    /// <exception cref="ObjectDisposedException"><paramref name="t"/> was disposed.</exception>
    public static Tensor FullLike(Tensor t, double value)
    {
        ArgumentNullException.ThrowIfNull(t);
        t.ThrowIfDisposed();
        return t.Device.Full(t.Shape, value, t.DType);
    }
}
