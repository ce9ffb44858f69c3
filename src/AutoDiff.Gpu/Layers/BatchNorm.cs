namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>L.BatchNorm</c>: <see cref="F.BatchNorm"/> with γ (ones) and β (zeros) as parameters and the running
/// mean (zeros) and variance (ones) as buffers <c>avg_mean</c> and <c>avg_var</c>, saved with the weights as DeZero's
/// are; all made on the first call for x's channels (axis 1), device and element type. In training it normalizes
/// with the batch's statistics and updates the running ones; under <see cref="Config.TestMode"/> it uses the running
/// ones.
/// </summary>
public sealed class BatchNorm : Layer
{
    private readonly Slot gamma, beta;
    private readonly BufferSlot mean, variance;
    private readonly double decay, eps;

    /// <summary>A layer with the running statistics' <paramref name="decay"/> and <paramref name="eps"/> added to the variance.</summary>
    public BatchNorm(double decay = 0.9, double eps = 2e-5)
    {
        (this.decay, this.eps) = (decay, eps);
        gamma = Parameter("gamma");
        beta = Parameter("beta");
        mean = Buffer("avg_mean");
        variance = Buffer("avg_var");
    }

    /// <summary>The running mean (the buffer <c>avg_mean</c>), or null before the first call.</summary>
    public Tensor? RunningMean => mean.Value;

    /// <summary>The running variance (the buffer <c>avg_var</c>), or null before the first call.</summary>
    public Tensor? RunningVar => variance.Value;

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
            mean.Value ??= device.Zeros(channels, x.DType);
            variance.Value ??= device.Ones(channels, x.DType);
            return F.BatchNorm(x, gamma.Value, beta.Value, mean.Value, variance.Value, decay, eps);
        });
    }
}
