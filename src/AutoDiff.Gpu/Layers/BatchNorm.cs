namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>L.BatchNorm</c>: <see cref="F.BatchNorm"/> with γ (ones) and β (zeros) as parameters and the running mean
/// (zeros) and variance (ones) as state, all made on the first call for x's channels (axis 1), device and element type.
/// In training it normalizes with the batch's statistics and updates the running ones; under
/// <see cref="Config.TestMode"/> it uses the running ones.
/// </summary>
public sealed class BatchNorm : Layer
{
    private readonly Slot gamma, beta;
    private readonly double decay, eps;

    /// <summary>A layer with the running statistics' <paramref name="decay"/> and <paramref name="eps"/> added to the variance.</summary>
    public BatchNorm(double decay = 0.9, double eps = 2e-5)
    {
        (this.decay, this.eps) = (decay, eps);
        gamma = Parameter("gamma");
        beta = Parameter("beta");
    }

    /// <summary>The running mean, or null before the first call.</summary>
    public Tensor? RunningMean { get; private set; }

    /// <summary>The running variance, or null before the first call.</summary>
    public Tensor? RunningVar { get; private set; }

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        if (x.NDim < 2)
            throw new ArgumentException($"{nameof(BatchNorm)}: x must be (N, C, …), not {x.Shape}", nameof(inputs));
        return MakingParameters(() =>
        {
            var device = x.Data.Device;
            var channels = new Shape(x.Shape[1]);
            gamma.Value ??= new Variable(device.Ones(channels, x.DType), "gamma");
            beta.Value ??= new Variable(device.Zeros(channels, x.DType), "beta");
            // The statistics are kept only once a call succeeds with them; no scope disposes them.
            var mean = RunningMean ?? TensorScope.Detach(device.Zeros(channels, x.DType));
            var variance = RunningVar ?? TensorScope.Detach(device.Ones(channels, x.DType));
            var y = F.BatchNorm(x, gamma.Value, beta.Value, mean, variance, decay, eps);
            (RunningMean, RunningVar) = (mean, variance);
            return y;
        });
    }
}
