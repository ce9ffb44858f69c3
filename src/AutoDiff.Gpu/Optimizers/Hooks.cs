using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>Something an optimizer runs on the parameters with gradients before each update (DeZero's hooks).</summary>
public interface IOptimizerHook
{
    /// <summary>Acts on the parameters about to be updated (each has a gradient).</summary>
    void Apply(IReadOnlyList<Variable> parameters);
}

/// <summary>
/// DeZero's <c>WeightDecay</c>: adds <c>rate·p</c> to each gradient (L2 regularization of ½·rate·‖p‖²). Each gradient
/// becomes a new tensor, so a gradient that two parameters share is never changed twice.
/// </summary>
/// <param name="rate">The decay rate: finite and not negative.</param>
public sealed class WeightDecay(double rate) : IOptimizerHook
{
    /// <summary>The decay rate.</summary>
    public double Rate { get; } = Hyperparameter.Rate(rate, nameof(rate));

    /// <inheritdoc/>
    public void Apply(IReadOnlyList<Variable> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            var g = p.GradInternal!;
            p.Grad = new Variable(Launch.Zip(nameof(WeightDecay), g.Data, p.Data, new AxpyOperator(Rate)));
        }
    }
}

/// <summary>
/// DeZero's <c>ClipGrad</c>: when the norm of all the gradients together, √(Σ‖g‖²), exceeds
/// <paramref name="maxNorm"/>, scales every gradient by maxNorm/(norm + 10⁻⁶). The norm is summed on the device and read
/// once (one synchronization per update). A norm that is NaN or infinite leaves the gradients alone, as DeZero's
/// <c>if rate &lt; 1</c> does, or fails the update with <paramref name="errorIfNonfinite"/> (PyTorch's
/// <c>error_if_nonfinite</c>).
/// </summary>
/// <param name="maxNorm">The largest norm let through: finite and positive.</param>
/// <param name="errorIfNonfinite">Whether a NaN or infinite norm throws instead of leaving the gradients alone.</param>
public sealed class ClipGrad(double maxNorm, bool errorIfNonfinite = false) : IOptimizerHook
{
    /// <summary>The largest norm let through.</summary>
    public double MaxNorm { get; } = Hyperparameter.Positive(maxNorm, nameof(maxNorm));

    /// <summary>Whether a NaN or infinite norm throws instead of leaving the gradients alone.</summary>
    public bool ErrorIfNonfinite { get; } = errorIfNonfinite;

    /// <summary>The norm of the gradients at the last update, before clipping.</summary>
    public double LastNorm { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="ArithmeticException">The norm is NaN or infinite and <see cref="ErrorIfNonfinite"/> is set.</exception>
    public void Apply(IReadOnlyList<Variable> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0)
            return;
        double total = 0;
        using (Config.NoGrad())
        {
            // One sum of squares per element type and device group, read back once each.
            foreach (var group in parameters.GroupBy(p => (p.GradInternal!.Data.Device, p.DType)))
            {
                Variable? sum = null;
                foreach (var p in group)
                {
                    var s = F.Sum(F.Square(p.GradInternal!));
                    sum = sum is null ? s : sum + s;
                }
                total += sum!.Data.Item();
            }
        }
        LastNorm = Math.Sqrt(total);
        if (!double.IsFinite(LastNorm))
        {
            if (ErrorIfNonfinite)
            {
                throw new ArithmeticException(
                    $"{nameof(ClipGrad)}: the norm of the gradients of {parameters.Count} parameters is {LastNorm.ToString(System.Globalization.CultureInfo.InvariantCulture)}: nothing was updated");
            }
            return;
        }
        double scale = MaxNorm / (LastNorm + 1e-6);
        if (scale >= 1)
            return;
        foreach (var p in parameters)
            p.Grad = new Variable(Launch.Map(p.GradInternal!.Data, new ScaleOperator(scale)));
    }
}
