using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// Plain gradient descent (DeZero's <c>SGD</c>): <c>p.data ← p.data − lr·p.grad</c> for every parameter that has a
/// gradient, in place on the device, one kernel per parameter. Parameters without a gradient are left alone.
/// </summary>
/// <param name="lr">The learning rate.</param>
public sealed class Sgd(double lr = 0.01) : Optimizer
{
    /// <summary>The learning rate.</summary>
    public double Lr
    {
        get;
        set => field = Hyperparameter.Rate(value, nameof(Lr));
    } = Hyperparameter.Rate(lr, nameof(lr));

    /// <remarks>p + (−lr)·g has the bits of p − lr·g: negating a product is exact.</remarks>
    private protected override void Step(Variable parameter, Variable grad) =>
        Launch.ZipInto(nameof(Sgd), parameter.Data, grad.Data, new AxpyOperator(-Lr));
}
