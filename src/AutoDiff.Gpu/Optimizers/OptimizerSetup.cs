using AutoDiff.Gpu.Layers;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>DeZero's <c>optimizer.setup(model)</c>, typed so that a chained call keeps the optimizer's class.</summary>
public static class OptimizerSetup
{
    /// <summary>
    /// Makes <paramref name="target"/> the model that <see cref="Optimizer.Update()"/> updates, and returns the
    /// optimizer: <c>var optimizer = new Sgd(lr).Setup(model);</c>. A model that is a hook too
    /// (<see cref="Distributed.DataParallel"/>, which averages gradients over ranks) becomes the first hook, so that
    /// clipping and decay see the averaged gradients.
    /// </summary>
    public static TOptimizer Setup<TOptimizer>(this TOptimizer optimizer, Layer target)
        where TOptimizer : Optimizer
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(target);
        if (optimizer.TargetHook is { } previous)
            optimizer.Hooks.Remove(previous);
        optimizer.Target = target;
        optimizer.TargetHook = target as IOptimizerHook;
        if (optimizer.TargetHook is { } hook)
            optimizer.Hooks.Insert(0, hook);
        return optimizer;
    }
}
