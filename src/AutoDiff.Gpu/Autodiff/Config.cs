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

    /// <summary>The name <see cref="UsingConfig"/> takes for <see cref="Train"/> (DeZero's spelling also works).</summary>
    public const string TrainName = nameof(Train);

    /// <summary>The name <see cref="UsingConfig"/> takes for <see cref="Fusion"/>.</summary>
    public const string FusionName = nameof(Fusion);

    private static readonly Switch Backprop = new(true);
    private static readonly Switch Training = new(true);
    private static readonly Switch Fusing = new(Environment.GetEnvironmentVariable("AUTODIFF_FUSION")?.Trim() != "0");

    /// <summary>True while functions record the graph for <see cref="Variable.Backward(bool, bool)"/> (in this flow).</summary>
    /// <remarks>Setting it inside a <see cref="UsingConfig"/> scope lasts until that scope ends.</remarks>
    public static bool EnableBackprop
    {
        get => Backprop.Value;
        set => Backprop.Value = value;
    }

    /// <summary>
    /// True (the default) in training, false in test mode (DeZero's <c>Config.train</c>): functions that behave
    /// differently at inference read it — dropout passes its input through and batch normalization uses its running
    /// statistics when it is false.
    /// </summary>
    /// <remarks>Setting it inside a <see cref="UsingConfig"/> scope lasts until that scope ends.</remarks>
    public static bool Train
    {
        get => Training.Value;
        set => Training.Value = value;
    }

    /// <summary>
    /// True (the default; false where the environment variable <c>AUTODIFF_FUSION</c> is <c>0</c>) while elementwise
    /// results may stay pending, to be computed together in one kernel when read (see <see cref="Tensor.IsPending"/>).
    /// The values are the same either way; turn it off to compare, or to debug a kernel at a time.
    /// </summary>
    /// <remarks>Setting it inside a <see cref="UsingConfig"/> scope lasts until that scope ends.</remarks>
    public static bool Fusion
    {
        get => Fusing.Value;
        set => Fusing.Value = value;
    }

    /// <summary>
    /// Sets the switch <paramref name="name"/> to <paramref name="value"/> until the returned scope is disposed,
    /// then restores the previous value, also when the block throws. Scopes disposed out of order never leave
    /// a stale value: the value is that of the innermost scope still open, and once every scope opened after
    /// a point is closed, the value from that point. Each switch has its own scopes.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a known switch.</exception>
    public static IDisposable UsingConfig(string name, bool value)
    {
        ArgumentNullException.ThrowIfNull(name);
        var target = name switch
        {
            EnableBackpropName or "enable_backprop" => Backprop,
            TrainName or "train" => Training,
            FusionName or "fusion" => Fusing,
            _ => throw new ArgumentException(
                $"unknown config '{name}': the known ones are {EnableBackpropName} (or enable_backprop), {TrainName} (or train) and {FusionName} (or fusion)", nameof(name)),
        };
        return target.Open(value);
    }

    /// <summary>Disables graph recording until the returned scope is disposed.</summary>
    public static IDisposable NoGrad() => UsingConfig(EnableBackpropName, false);

    /// <summary>Switches to test mode (<see cref="Train"/> false) until the returned scope is disposed (DeZero's <c>test_mode</c>).</summary>
    public static IDisposable TestMode() => UsingConfig(TrainName, false);

    /// <summary>Runs every elementwise operation as its own kernel until the returned scope is disposed.</summary>
    public static IDisposable NoFusion() => UsingConfig(FusionName, false);

    /// <summary>One switch: a stack of values per logical flow of control, its default where the flow has none.</summary>
    private sealed class Switch(bool defaultValue)
    {
        private readonly AsyncLocal<Frame?> top = new();

        public bool Value
        {
            get => top.Value?.Value ?? defaultValue;
            set
            {
                // An assignment replaces the one above the innermost scope, so repeated assignments never pile up.
                var current = top.Value;
                top.Value = new Frame(this, value, current is { IsScope: false } ? current.Parent : current, scope: false);
            }
        }

        public Frame Open(bool value)
        {
            var frame = new Frame(this, value, top.Value, scope: true);
            top.Value = frame;
            return frame;
        }

        /// <summary>Unwinds the closed scopes at the top of this flow's stack, with the assignments made inside them.</summary>
        public void Unwind()
        {
            Frame? cut = null;
            for (var f = top.Value; f is not null; f = f.Parent)
            {
                if (f.IsOpenScope)
                    break;
                if (f.IsScope)
                    cut = f;
            }
            if (cut is not null)
                top.Value = cut.Parent;
        }
    }

    /// <summary>
    /// One value on a flow's stack: a scope (closed by its owner) or an assignment (dropped with the scope it
    /// was made in). Frames are immutable apart from the closed mark, so flows that share a stack never
    /// change each other's values.
    /// </summary>
    private sealed class Frame(Switch owner, bool value, Frame? parent, bool scope) : IDisposable
    {
        private int closed;

        public bool Value { get; } = value;

        public Frame? Parent { get; } = parent;

        public bool IsScope => scope;

        public bool IsOpenScope => scope && Volatile.Read(ref closed) == 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0)
                owner.Unwind();
        }
    }
}
