namespace AutoDiff.Gpu;

/// <summary>
/// An operation the engine builds from other functions: conv2d (im2col and a product), pooling, batch normalization
/// in test mode. While an export traces a forward pass (<see cref="Record"/>), the operation marks its output with
/// itself and its inputs, so that the export writes one ONNX operator instead of the parts. At other times marking
/// costs one read of an ambient value.
/// </summary>
internal abstract record Composite
{
    private static readonly AsyncLocal<Recording?> Current = new();

    /// <summary>
    /// Marks <paramref name="y"/> as <paramref name="op"/> of <paramref name="inputs"/> (null for an optional
    /// input not given) while a trace records; returns <paramref name="y"/>.
    /// </summary>
    public static Variable Mark(Variable y, Composite op, params Variable?[] inputs)
    {
        Current.Value?.Add(y, op, inputs);
        return y;
    }

    /// <summary>Records the composites marked in this flow of control until the recording is disposed.</summary>
    public static Recording Record()
    {
        var recording = new Recording(Current.Value);
        Current.Value = recording;
        return recording;
    }

    /// <summary>DeZero's <c>conv2d</c>: filters (OC, C, KH, KW) and an optional bias (OC,).</summary>
    /// <param name="Stride">The stride (rows, columns).</param>
    /// <param name="Pad">The zero padding on each side (rows, columns).</param>
    public sealed record Convolution((int H, int W) Stride, (int H, int W) Pad) : Composite;

    /// <summary>DeZero's <c>pooling</c> (max) or <c>average_pooling</c>; zero padding takes part in both.</summary>
    /// <param name="Max">The greatest element of each window, else the mean.</param>
    /// <param name="Kernel">The window (rows, columns).</param>
    /// <param name="Stride">The stride (rows, columns).</param>
    /// <param name="Pad">The zero padding on each side (rows, columns).</param>
    public sealed record Pooling(bool Max, (int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Pad)
        : Composite;

    /// <summary>Batch normalization with running statistics (C,), of inputs x, γ and β.</summary>
    /// <param name="Eps">Added to the variance.</param>
    /// <param name="RunningMean">The running mean.</param>
    /// <param name="RunningVar">The running variance.</param>
    public sealed record BatchNormalization(double Eps, Tensor RunningMean, Tensor RunningVar) : Composite;

    /// <summary>The composites marked while it was open, by output.</summary>
    internal sealed class Recording : IDisposable
    {
        private readonly Recording? previous;
        private readonly Dictionary<Variable, (Composite Op, Variable?[] Inputs)> marked =
            new(ReferenceEqualityComparer.Instance);

        internal Recording(Recording? previous) => this.previous = previous;

        /// <summary>The composite that made <paramref name="y"/>, if one did.</summary>
        public bool TryGet(Variable y, out (Composite Op, Variable?[] Inputs) composite) =>
            marked.TryGetValue(y, out composite);

        /// <summary>Stops recording; the recording open before this one records again.</summary>
        public void Dispose() => Current.Value = previous;

        internal void Add(Variable y, Composite op, Variable?[] inputs) =>
            marked[y] = (op, (Variable?[])inputs.Clone());
    }
}
