using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// Adam (DeZero's <c>Adam</c>, Kingma and Ba): <c>m ← m + (1 − β₁)(g − m)</c>, <c>v ← v + (1 − β₂)(g² − v)</c>,
/// <c>p ← p − lr·m/(√v + eps)</c> with <c>lr = α·√(1 − β₂ᵗ)/(1 − β₁ᵗ)</c> at the parameter's t-th update; m and v
/// per parameter start at zeros. One kernel per parameter reads p, g, m and v once and writes p, m and v.
/// </summary>
/// <param name="alpha">The step size α.</param>
/// <param name="beta1">The decay of the first moment.</param>
/// <param name="beta2">The decay of the second moment.</param>
/// <param name="eps">Added to √v.</param>
public sealed class Adam(double alpha = 0.001, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) : Optimizer
{
    /// <summary>The step size α.</summary>
    public double Alpha
    {
        get;
        set => field = Hyperparameter.Rate(value, nameof(Alpha));
    } = Hyperparameter.Rate(alpha, nameof(alpha));

    /// <summary>The decay of the first moment.</summary>
    public double Beta1
    {
        get;
        set => field = Hyperparameter.Decay(value, nameof(Beta1));
    } = Hyperparameter.Decay(beta1, nameof(beta1));

    /// <summary>The decay of the second moment.</summary>
    public double Beta2
    {
        get;
        set => field = Hyperparameter.Decay(value, nameof(Beta2));
    } = Hyperparameter.Decay(beta2, nameof(beta2));

    /// <summary>Added to √v.</summary>
    public double Eps
    {
        get;
        set => field = Hyperparameter.Positive(value, nameof(Eps));
    } = Hyperparameter.Positive(eps, nameof(eps));

    private protected override void Step(Variable parameter, Variable grad)
    {
        long t = StepsOf(parameter) + 1;
        double lr = Alpha * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t));
        Apply(parameter, grad, new AdamRule(lr, Beta1, Beta2, Eps));
    }
}

/// <summary>m′ = m + (1 − β₁)(g − m), v′ = v + (1 − β₂)(g² − v), p′ = p − lr·m′/(√v′ + eps).</summary>
/// <param name="lr">This step's rate, α·√(1 − β₂ᵗ)/(1 − β₁ᵗ).</param>
/// <param name="beta1">The decay of the first moment.</param>
/// <param name="beta2">The decay of the second moment.</param>
/// <param name="eps">Added to √v′.</param>
public struct AdamRule(double lr, double beta1, double beta2, double eps) : IUpdateRule
{
    private Parameter lr = lr; // not readonly: see Parameter
    private Parameter first = 1 - beta1;
    private Parameter second = 1 - beta2;
    private Parameter eps = eps;

    /// <inheritdoc/>
    public static int States => 2;

    /// <inheritdoc/>
    public (T P, T S1, T S2) Apply<T>(T p, T g, T s1, T s2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = s1 + (first.As<T>() * (g - s1));
        T v = s2 + (second.As<T>() * ((g * g) - s2));
        return (p - (lr.As<T>() * m / (T.Sqrt(v) + eps.As<T>())), m, v);
    }
}
