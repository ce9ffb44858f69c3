using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// Gradient descent with momentum (DeZero's <c>MomentumSGD</c>): <c>v ← momentum·v − lr·g</c>, <c>p ← p + v</c>, with
/// a velocity v per parameter starting at zeros; one kernel per parameter.
/// </summary>
/// <param name="lr">The learning rate.</param>
/// <param name="momentum">The velocity's decay.</param>
public sealed class MomentumSgd(double lr = 0.01, double momentum = 0.9) : Optimizer
{
    /// <summary>The learning rate.</summary>
    public double Lr
    {
        get;
        set => field = Hyperparameter.Rate(value, nameof(Lr));
    } = Hyperparameter.Rate(lr, nameof(lr));

    /// <summary>The velocity's decay.</summary>
    public double Momentum
    {
        get;
        set => field = Hyperparameter.Decay(value, nameof(Momentum));
    } = Hyperparameter.Decay(momentum, nameof(momentum));

    private protected override void Step(Variable parameter, Variable grad) => Apply(parameter, grad, new MomentumRule(Lr, Momentum));
}

/// <summary>v′ = momentum·v − lr·g, p′ = p + v′.</summary>
/// <param name="lr">The learning rate.</param>
/// <param name="momentum">The velocity's decay.</param>
public struct MomentumRule(double lr, double momentum) : IUpdateRule
{
    private Parameter lr = lr; // not readonly: see Parameter
    private Parameter momentum = momentum;

    /// <inheritdoc/>
    public static int States => 1;

    /// <inheritdoc/>
    public (T P, T S1, T S2) Apply<T>(T p, T g, T s1, T s2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T v = (momentum.As<T>() * s1) - (lr.As<T>() * g);
        return (p + v, v, s2);
    }
}
