namespace AutoDiff.Gpu;

/// <summary>
/// A differentiable operation (DeZero's <c>Function</c>). <see cref="Call"/> is the one place that builds the
/// graph: it runs <see cref="Forward"/> on tensors, wraps the results in variables and, only while
/// <see cref="Config.EnableBackprop"/> is on, records its inputs, weak references to its outputs and its
/// generation. <see cref="Backward"/> maps output gradients to input gradients, on tensors.
/// </summary>
public abstract class Function
{
    private Variable[] inputs = [];
    private WeakReference<Variable>[] outputs = [];
    private (Shape Shape, DType DType, Device Device)[] outputKinds = [];

    /// <summary>The inputs, recorded only while backprop is enabled.</summary>
    public IReadOnlyList<Variable> Inputs => inputs;

    /// <summary>Weak references to the outputs: the graph never keeps an output alive.</summary>
    public IReadOnlyList<WeakReference<Variable>> Outputs => outputs;

    /// <summary>The largest generation among the inputs.</summary>
    public int Generation { get; private set; }

    /// <summary>The name shown in graphs.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Runs the function on <paramref name="xs"/> and returns its outputs.</summary>
    public Variable[] Call(params Variable[] xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        var data = new Tensor[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            var x = xs[i] ?? throw new ArgumentNullException(nameof(xs), $"{Name}: input {i} is null");
            if (x.IsDisposed)
                throw new ObjectDisposedException(nameof(Variable), $"{Name}: input {i} ({x.Name ?? "unnamed"}, shape {x.Shape}) was disposed");
            data[i] = x.Data;
        }
        var ys = Forward(data);
        var results = new Variable[ys.Length];
        for (int i = 0; i < ys.Length; i++)
            results[i] = new Variable(ys[i]);

        if (Config.EnableBackprop)
        {
            int generation = 0;
            foreach (var x in xs)
                generation = Math.Max(generation, x.Generation);
            Generation = generation;
            foreach (var y in results)
                y.SetCreator(this);
            inputs = (Variable[])xs.Clone();
            outputs = Array.ConvertAll(results, y => new WeakReference<Variable>(y));
            outputKinds = Array.ConvertAll(ys, y => (y.Shape, y.DType, y.Device));
        }
        return results;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    internal Tensor[] BackwardCore(Tensor[] gys)
    {
        var gxs = Backward(gys);
        if (gxs.Length != inputs.Length)
            throw new InvalidOperationException($"{Name}.Backward returned {gxs.Length} gradients for {inputs.Length} inputs");
        return gxs;
    }

    internal Variable?[] LiveOutputs() => Array.ConvertAll(outputs, o => o.TryGetTarget(out var y) ? y : null);

    /// <summary>The gradient of an output that was collected or has none: zeros of its shape.</summary>
    internal Tensor ZeroGradFor(int output)
    {
        var (shape, dtype, device) = outputKinds[output];
        return device.Zeros(shape, dtype);
    }

    /// <summary>Input <paramref name="index"/>'s data, for use in <see cref="Backward"/>.</summary>
    protected Tensor Input(int index) => inputs[index].Data;

    /// <summary>Computes the outputs from the inputs' data.</summary>
    protected abstract Tensor[] Forward(Tensor[] xs);

    /// <summary>Computes one gradient per input from one gradient per output.</summary>
    protected abstract Tensor[] Backward(Tensor[] gys);
}
