using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// Plain gradient descent (DeZero's <c>SGD</c>): <c>p.data ← p.data − lr·p.grad</c> for every parameter that has a
/// gradient, in place on the device, one kernel per parameter. Parameters without a gradient are left alone.
/// </summary>
/// <param name="lr">The learning rate.</param>
public sealed class Sgd(double lr = 0.01)
{
    /// <summary>The learning rate.</summary>
    public double Lr { get; set; } = lr;

    /// <summary>Updates every parameter in <paramref name="parameters"/> that has a gradient.</summary>
    /// <exception cref="ArgumentException">A gradient is on another device or of another element type than its parameter.</exception>
    /// <exception cref="ObjectDisposedException">A parameter was disposed.</exception>
    public void Update(params IEnumerable<Variable> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
            UpdateOne(p);
    }

    /// <summary>Updates one parameter, if it has a gradient.</summary>
    /// <exception cref="ArgumentException">The gradient is on another device or of another element type than the parameter.</exception>
    /// <exception cref="ObjectDisposedException">The parameter was disposed.</exception>
    public void UpdateOne(Variable parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (parameter.IsDisposed)
            throw parameter.DisposedError(nameof(Sgd));
        if (parameter.GradInternal is { } grad)
            Launch.ZipInto(nameof(Sgd), parameter.Data, grad.Data, new SgdOperator(Lr));
    }
}

/// <summary>p − lr·g</summary>
/// <param name="lr">The learning rate.</param>
public struct SgdOperator(double lr) : IBinaryOperator
{
    private Parameter lr = lr; // not readonly: see Parameter

    /// <inheritdoc/>
    public T Apply<T>(T p, T g) where T : unmanaged, IFloatingPointIeee754<T> => p - (lr.As<T>() * g);
}
