namespace AutoDiff.Gpu.Optimizers;

/// <summary>Checks of hyperparameters; each refusal names the parameter, its value and the range it needs.</summary>
internal static class Hyperparameter
{
    /// <summary>A learning rate, step size, decay rate or norm: finite and not negative.</summary>
    public static double Rate(double value, string name) =>
        double.IsFinite(value) && value >= 0 ? value : throw Refused(name, value, "finite and not negative");

    /// <summary>A term that keeps a denominator from 0, or a bound: finite and positive.</summary>
    public static double Positive(double value, string name) =>
        double.IsFinite(value) && value > 0 ? value : throw Refused(name, value, "finite and positive");

    /// <summary>The decay of a running average or a velocity: in [0, 1).</summary>
    public static double Decay(double value, string name) =>
        value is >= 0 and < 1 ? value : throw Refused(name, value, "in [0, 1)");

    private static ArgumentOutOfRangeException Refused(string name, double value, string range) =>
        new(name, value, $"{name} must be {range}, not {value}");
}
