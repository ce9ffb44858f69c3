using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// AdaDelta (DeZero's <c>AdaDelta</c>): <c>s ← ρ·s + (1 − ρ)·g²</c>, <c>Δ = √((d + eps)/(s + eps))·g</c>,
/// <c>d ← ρ·d + (1 − ρ)·Δ²</c>, <c>p ← p − Δ</c>, with s and d per parameter starting at zeros; one kernel per parameter.
/// </summary>
/// <param name="rho">The decay of both running averages.</param>
/// <param name="eps">Added under both square roots.</param>
public sealed class AdaDelta(double rho = 0.95, double eps = 1e-6) : Optimizer
{
    /// <summary>The decay of both running averages.</summary>
    public double Rho
    {
        get;
        set => field = Hyperparameter.Decay(value, nameof(Rho));
    } = Hyperparameter.Decay(rho, nameof(rho));

    /// <summary>Added under both square roots.</summary>
    public double Eps
    {
        get;
        set => field = Hyperparameter.Positive(value, nameof(Eps));
    } = Hyperparameter.Positive(eps, nameof(eps));

    private protected override void Step(Variable parameter, Variable grad) => Apply(parameter, grad, new AdaDeltaRule(Rho, Eps));
}

/// <summary>s′ = ρ·s + (1 − ρ)·g², Δ = √((d + eps)/(s′ + eps))·g, d′ = ρ·d + (1 − ρ)·Δ², p′ = p − Δ.</summary>
/// <param name="rho">The decay of both running averages.</param>
/// <param name="eps">Added under both square roots.</param>
public struct AdaDeltaRule(double rho, double eps) : IUpdateRule
{
    private Parameter rho = rho; // not readonly: see Parameter
    private Parameter rest = 1 - rho;
    private Parameter eps = eps;

    /// <inheritdoc/>
    public static int States => 2;

    /// <inheritdoc/>
    public (T P, T S1, T S2) Apply<T>(T p, T g, T s1, T s2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = (rho.As<T>() * s1) + (rest.As<T>() * g * g);
        T delta = T.Sqrt((s2 + eps.As<T>()) / (s + eps.As<T>())) * g;
        T d = (rho.As<T>() * s2) + (rest.As<T>() * delta * delta);
        return (p - delta, s, d);
    }
}
