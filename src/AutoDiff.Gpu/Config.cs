namespace AutoDiff.Gpu;

/// <summary>
/// Engine switches, as DeZero's <c>Config</c>. Each thread has its own values (as PyTorch's grad mode): a
/// thread starts with backprop enabled, and a scope changes only the thread that opened it. On one thread it
/// behaves exactly like DeZero's class attributes.
/// </summary>
public static class Config
{
    /// <summary>The name <see cref="UsingConfig"/> takes for <see cref="EnableBackprop"/> (DeZero's spelling also works).</summary>
    public const string EnableBackpropName = nameof(EnableBackprop);

    [ThreadStatic]
    private static bool backpropDisabled;

    /// <summary>True while functions record the graph for <see cref="Variable.Backward"/> (on this thread).</summary>
    public static bool EnableBackprop
    {
        get => !backpropDisabled;
        set => backpropDisabled = !value;
    }

    /// <summary>
    /// Sets the switch <paramref name="name"/> to <paramref name="value"/> until the returned scope is disposed,
    /// then restores the previous value, also when the block throws.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a known switch.</exception>
    public static IDisposable UsingConfig(string name, bool value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name is not (EnableBackpropName or "enable_backprop"))
            throw new ArgumentException($"unknown config '{name}': the known one is {EnableBackpropName} (or enable_backprop)", nameof(name));
        var scope = new Scope(EnableBackprop);
        EnableBackprop = value;
        return scope;
    }

    /// <summary>Disables graph recording until the returned scope is disposed.</summary>
    public static IDisposable NoGrad() => UsingConfig(EnableBackpropName, false);

    private sealed class Scope(bool previous) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done)
                return;
            done = true;
            EnableBackprop = previous;
        }
    }
}
