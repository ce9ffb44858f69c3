namespace AutoDiff.Gpu;

/// <summary>
/// Engine switches, as DeZero's <c>Config</c>. The values are ambient state of the logical flow of control, the
/// .NET way (<see cref="AsyncLocal{T}"/>, as <c>CultureInfo.CurrentCulture</c>): on one thread they behave
/// exactly like DeZero's class attributes; across <c>await</c> a scope stays with the code that opened it,
/// whichever thread the continuation runs on, and never leaks into unrelated work on the thread pool. A
/// flow starts with backprop enabled; tasks and threads started inside a scope inherit its value.
/// </summary>
public static class Config
{
    /// <summary>The name <see cref="UsingConfig"/> takes for <see cref="EnableBackprop"/> (DeZero's spelling also works).</summary>
    public const string EnableBackpropName = nameof(EnableBackprop);

    private static readonly AsyncLocal<Frame?> Top = new();

    /// <summary>True while functions record the graph for <see cref="Variable.Backward"/> (in this flow).</summary>
    /// <remarks>Setting it inside a <see cref="UsingConfig"/> scope lasts until that scope ends.</remarks>
    public static bool EnableBackprop
    {
        get => Top.Value?.Value ?? true;
        set
        {
            // An assignment replaces the one above the innermost scope, so repeated assignments never pile up.
            var top = Top.Value;
            Top.Value = new Frame(value, top is { IsScope: false } ? top.Parent : top, scope: false);
        }
    }

    /// <summary>
    /// Sets the switch <paramref name="name"/> to <paramref name="value"/> until the returned scope is disposed,
    /// then restores the previous value, also when the block throws. Scopes disposed out of order never leave
    /// a stale value: the value is that of the innermost scope still open, and once every scope opened after
    /// a point is closed, the value from that point.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a known switch.</exception>
    public static IDisposable UsingConfig(string name, bool value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name is not (EnableBackpropName or "enable_backprop"))
            throw new ArgumentException($"unknown config '{name}': the known one is {EnableBackpropName} (or enable_backprop)", nameof(name));
        var frame = new Frame(value, Top.Value, scope: true);
        Top.Value = frame;
        return frame;
    }

    /// <summary>Disables graph recording until the returned scope is disposed.</summary>
    public static IDisposable NoGrad() => UsingConfig(EnableBackpropName, false);

    /// <summary>
    /// One value on the flow's stack: a scope (closed by its owner) or an assignment (dropped with the scope it
    /// was made in). Frames are immutable apart from the closed mark, so flows that share a stack never
    /// change each other's values.
    /// </summary>
    private sealed class Frame(bool value, Frame? parent, bool scope) : IDisposable
    {
        private int closed;

        public bool Value { get; } = value;

        public Frame? Parent { get; } = parent;

        public bool IsScope => scope;

        private bool IsOpenScope => scope && Volatile.Read(ref closed) == 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref closed, 1) != 0)
                return;
            // Unwind the closed scopes at the top of this flow's stack, with the assignments made inside them.
            Frame? cut = null;
            for (var f = Top.Value; f is not null; f = f.Parent)
            {
                if (f.IsOpenScope)
                    break;
                if (f.IsScope)
                    cut = f;
            }
            if (cut is not null)
                Top.Value = cut.Parent;
        }
    }
}
