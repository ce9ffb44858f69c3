using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// AdaGrad (DeZero's <c>AdaGrad</c>): <c>h ← h + g²</c>, <c>p ← p − lr·g/(√h + eps)</c>, with h per parameter starting
/// at zeros; one kernel per parameter.
/// </summary>
/// <param name="lr">The learning rate.</param>
/// <param name="eps">Added to √h.</param>
public sealed class AdaGrad(double lr = 0.001, double eps = 1e-8) : Optimizer
{
    /// <summary>The learning rate.</summary>
    public double Lr
    {
        get;
        set => field = Hyperparameter.Rate(value, nameof(Lr));
    } = Hyperparameter.Rate(lr, nameof(lr));

    /// <summary>Added to √h.</summary>
    public double Eps
    {
        get;
        set => field = Hyperparameter.Positive(value, nameof(Eps));
    } = Hyperparameter.Positive(eps, nameof(eps));

    private protected override void Step(Variable parameter, Variable grad) => Apply(parameter, grad, new AdaGradRule(Lr, Eps));
}

/// <summary>h′ = h + g², p′ = p − lr·g/(√h′ + eps).</summary>
/// <param name="lr">The learning rate.</param>
/// <param name="eps">Added to √h′.</param>
public struct AdaGradRule(double lr, double eps) : IUpdateRule
{
    private Parameter lr = lr; // not readonly: see Parameter
    private Parameter eps = eps;

    /// <inheritdoc/>
    public static int States => 1;

    /// <inheritdoc/>
    public (T P, T S1, T S2) Apply<T>(T p, T g, T s1, T s2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T h = s1 + (g * g);
        return (p - (lr.As<T>() * g / (T.Sqrt(h) + eps.As<T>())), h, s2);
    }
}
