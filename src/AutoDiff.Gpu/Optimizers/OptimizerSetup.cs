using AutoDiff.Gpu.Layers;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>DeZero's <c>optimizer.setup(model)</c>, typed so that a chained call keeps the optimizer's class.</summary>
public static class OptimizerSetup
{
    /// <summary>
    /// Makes <paramref name="target"/> the model that <see cref="Optimizer.Update()"/> updates, and returns the
    /// optimizer: <c>var optimizer = new Sgd(lr).Setup(model);</c>.
    /// </summary>
    public static TOptimizer Setup<TOptimizer>(this TOptimizer optimizer, Layer target)
        where TOptimizer : Optimizer
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(target);
        optimizer.Target = target;
        return optimizer;
    }
}
