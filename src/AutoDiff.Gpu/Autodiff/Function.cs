namespace AutoDiff.Gpu;

/// <summary>
/// A differentiable operation (DeZero's <c>Function</c>). <see cref="Call"/> is the one place that builds the
/// graph: it runs <see cref="Forward"/> on tensors, wraps the results in variables and, only while
/// <see cref="Config.EnableBackprop"/> is on, records its inputs, weak references to its outputs and its
/// generation; a call none of whose inputs <see cref="Variable.RequiresGrad"/> records nothing, and its outputs
/// require no gradient either (PyTorch's rule). <see cref="Backward"/> maps output gradients to input gradients as
/// variables, by calling other
/// functions, so that a backward pass can itself be recorded and differentiated (higher-order derivatives).
/// A function object records one call: make a new one for each call.
/// </summary>
public abstract class Function
{
    private Variable[] inputs = [];
    private WeakReference<Variable>[] outputs = [];
    private (Shape Shape, DType DType, Device Device)[] outputKinds = [];
    private int called;

    /// <summary>The inputs, recorded only while backprop is enabled.</summary>
    public IReadOnlyList<Variable> Inputs => inputs;

    /// <summary>Weak references to the outputs: the graph never keeps an output alive.</summary>
    public IReadOnlyList<WeakReference<Variable>> Outputs => outputs;

    /// <summary>The largest generation among the inputs.</summary>
    public int Generation { get; private set; }

    /// <summary>The name shown in graphs and errors.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>How many inputs <see cref="Call"/> takes, or -1 for any number from one up.</summary>
    protected virtual int Arity => -1;

    /// <summary>Runs the function on <paramref name="xs"/> and returns its outputs.</summary>
    /// <exception cref="ArgumentException">Wrong number of inputs, or inputs the function cannot combine.</exception>
    /// <exception cref="ObjectDisposedException">An input was disposed.</exception>
    /// <exception cref="InvalidOperationException">This function object was already called.</exception>
    public Variable[] Call(params Variable[] xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        int arity = Arity;
        if (arity >= 0 ? xs.Length != arity : xs.Length == 0)
            throw new ArgumentException($"{Name} takes {(arity >= 0 ? arity.ToString(System.Globalization.CultureInfo.InvariantCulture) : "at least one")} input{(arity == 1 ? string.Empty : "s")}, got {xs.Length}", nameof(xs));
        var data = new Tensor[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            var x = xs[i] ?? throw new ArgumentNullException(nameof(xs), $"{Name}: input {i} is null");
            if (x.IsDisposed)
                throw x.DisposedError($"{Name}: input {i}");
            data[i] = x.Data;
        }
        if (Interlocked.Exchange(ref called, 1) != 0)
            throw new InvalidOperationException($"this {Name} object was already called: a function records one call, make a new one for each");

        var ys = Forward(data);
        if (ys is null || ys.Length == 0 || Array.IndexOf(ys, null) >= 0)
            throw new InvalidOperationException($"{Name}.Forward returned no output or a null one");
        var results = new Variable[ys.Length];
        bool backprop = Config.EnableBackprop;
        // Gradients a backward pass makes without recording are the engine's to free early; recorded ones are
        // part of a graph and left to the GC.
        bool madeByBackward = !backprop && BackwardPass.IsRunningOnThisThread;
        // With backprop on, a call that no gradient can flow through records nothing and passes that on.
        bool untracked = backprop && !AnyRequiresGrad(xs);
        for (int i = 0; i < ys.Length; i++)
            results[i] = new Variable(ys[i]) { EngineMade = madeByBackward, RequiresGrad = !untracked };

        if (backprop && !untracked)
            Record(xs, ys, results);
        return results;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static bool AnyRequiresGrad(Variable[] xs)
    {
        foreach (var x in xs)
        {
            if (x.RequiresGrad)
                return true;
        }
        return false;
    }

    /// <summary>
    /// Records the call in the graph: the inputs, the generation, weak references to the outputs and their kinds.
    /// </summary>
    private void Record(Variable[] xs, Tensor[] ys, Variable[] results)
    {
        int generation = 0;
        foreach (var x in xs)
            generation = Math.Max(generation, x.Generation);
        Generation = generation;
        foreach (var y in results)
            y.SetCreator(this);
        inputs = xs.AsSpan().ToArray();
        var weak = new WeakReference<Variable>[results.Length];
        var kinds = new (Shape Shape, DType DType, Device Device)[ys.Length];
        for (int i = 0; i < results.Length; i++)
        {
            weak[i] = new WeakReference<Variable>(results[i]);
            kinds[i] = (ys[i].Shape, ys[i].DType, ys[i].Device);
        }
        outputs = weak;
        outputKinds = kinds;
    }

    /// <summary>Runs <see cref="Backward"/> and checks what it returned: one gradient (or null for none) per input, each shaped and typed as its input.</summary>
    internal Variable?[] BackwardCore(Variable[] gys)
    {
        var gxs = Backward(gys) ?? throw new InvalidOperationException($"{Name}.Backward returned null instead of one gradient per input");
        if (gxs.Length != inputs.Length)
            throw new InvalidOperationException($"{Name}.Backward returned {gxs.Length} gradients for {inputs.Length} inputs");
        for (int i = 0; i < gxs.Length; i++)
        {
            if (gxs[i] is not { } gx)
                continue;
            var x = inputs[i];
            if (gx.IsDisposed)
                throw new InvalidOperationException($"{Name}.Backward returned a disposed gradient for input {i} ({x.Describe()})");
            if (!gx.Shape.Equals(x.Shape) || gx.DType != x.DType || !gx.Device.SharesAcceleratorWith(x.Device))
                throw new InvalidOperationException($"{Name}.Backward returned a gradient {gx.Shape} {gx.DType.Name()} on {gx.Device.Id} for input {i}, which is {x.Shape} {x.DType.Name()} on {x.Device.Id}");
        }
        return gxs;
    }

    internal Variable?[] LiveOutputs()
    {
        var live = new Variable?[outputs.Length];
        for (int i = 0; i < live.Length; i++)
            live[i] = outputs[i].TryGetTarget(out var y) ? y : null;
        return live;
    }

    /// <summary>The gradient of an output that was collected or has none: zeros of its shape.</summary>
    internal Variable ZeroGradFor(int output, bool engineMade)
    {
        var (shape, dtype, device) = outputKinds[output];
        return new Variable(device.Zeros(shape, dtype)) { EngineMade = engineMade };
    }

    /// <summary>
    /// Whether input <paramref name="index"/> takes a gradient: <see cref="Backward"/> may return null for one
    /// that does not, and skip computing it (a frozen weight, an input marked as needing none).
    /// </summary>
    protected bool NeedsGradient(int index) => inputs[index].RequiresGrad;

    /// <summary>Input <paramref name="index"/>, for use in <see cref="Backward"/>.</summary>
    protected Variable Input(int index) => inputs[index];

    /// <summary>Output <paramref name="index"/> while it is alive, for use in <see cref="Backward"/>; null once collected.</summary>
    protected Variable? Output(int index) => outputs[index].TryGetTarget(out var y) ? y : null;

    /// <summary>Computes the outputs from the inputs' data.</summary>
    protected abstract Tensor[] Forward(Tensor[] xs);

    /// <summary>
    /// Computes one gradient per input from one gradient per output, by calling functions on variables (so that
    /// with <c>createGraph</c> the computation is recorded). A null entry means no gradient flows to that input.
    /// </summary>
    protected abstract Variable?[] Backward(Variable[] gys);
}
