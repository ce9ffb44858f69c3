namespace AutoDiff.Gpu;

/// <summary>
/// A node of the graph: its data, its gradient, the function that created it and its generation (DeZero's
/// <c>Variable</c>). A variable owns its data tensor; <see cref="Dispose"/> returns it to the pool now, but
/// disposing is optional (see <see cref="DeviceMemory"/>). Gradients are variables too, so that they can be
/// differentiated again.
/// </summary>
public partial class Variable : IDisposable
{
    private static long created;

    private Tensor data;
    private Variable? grad;
    private int holds;
    private int exposed;
    private bool requiresGrad = true;

    /// <summary>Wraps <paramref name="data"/>; the variable owns it from now on.</summary>
    public Variable(Tensor data, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(data, nameof(data));
        data.ThrowIfDisposed();
        this.data = data;
        Name = name;
        Stamp = Interlocked.Increment(ref created);
    }

    /// <summary>The value.</summary>
    /// <exception cref="ArgumentException">The new tensor differs in shape, element type or device.</exception>
    public Tensor Data
    {
        get => data;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.ThrowIfDisposed();
            var d = data;
            if (!value.Shape.Equals(d.Shape) || value.DType != d.DType || !value.Device.SharesAcceleratorWith(d.Device))
                throw new ArgumentException($"Data: {Describe()} cannot take a tensor {value.Shape} {value.DType.Name()} on {value.Device.Id}; its gradient and graph are for {d.Shape} {d.DType.Name()} on {d.Device.Id}: make a new Variable instead", nameof(value));
            data = value;
        }
    }

    /// <summary>
    /// The gradient, or null. Intermediate gradients are dropped by <see cref="Backward(bool, bool)"/> unless it is asked to
    /// retain them. A gradient read from here is never released early by the engine (only by
    /// <see cref="Dispose"/> of this variable, or by disposing it yourself). A gradient you set is yours: the
    /// engine never disposes it. A gradient disposed elsewhere (say by the <see cref="TensorScope"/> it was made
    /// in) reads as null, as after <see cref="ClearGrad"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The gradient differs from the data in shape, element type or device.</exception>
    public Variable? Grad
    {
        get
        {
            var g = GradInternal;
            g?.MarkExposed();
            return g;
        }
        set
        {
            if (value is not null)
            {
                if (value.IsDisposed)
                    throw new ObjectDisposedException(nameof(Variable), $"Grad: the gradient given for {Describe()} was disposed");
                CheckGradient("Grad", value);
                value.MarkExposed();
            }
            lock (this)
                SetGradLocked(value);
        }
    }

    /// <summary>The function that produced this variable while backprop was enabled, or null.</summary>
    public Function? Creator { get; private set; }

    /// <summary>Creator's generation + 1; 0 for leaves.</summary>
    public int Generation { get; private set; }

    /// <summary>
    /// False for a leaf that never takes a gradient (PyTorch's <c>requires_grad</c>): backward passes drop what
    /// reaches it, so inputs and targets kept across iterations accumulate nothing, and optimizers skip it (a
    /// frozen parameter). True by default. A function whose inputs all require none records no graph, and its
    /// outputs require none either: no backward work is spent on them.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set to false on a variable a function made (only leaves can be marked).</exception>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (!value && Creator is not null)
                throw new InvalidOperationException($"RequiresGrad: {Describe()} was made by {Creator.Name}; only leaves can be marked (Unchain it first)");
            requiresGrad = value;
        }
    }

    /// <summary>An optional name (shown in graphs and errors).</summary>
    public string? Name { get; set; }

    /// <summary>The data's shape.</summary>
    public Shape Shape => data.Shape;

    /// <summary>Number of dimensions (NumPy's <c>ndim</c>).</summary>
    public int NDim => data.Rank;

    /// <summary>Number of elements (NumPy's <c>size</c>).</summary>
    public long Size => data.Length;

    /// <summary>The data's element type.</summary>
    public DType DType => data.DType;

    /// <summary>The data's device.</summary>
    public Device Device => data.Device;

    /// <summary>True once disposed (or its device was).</summary>
    public bool IsDisposed => data.IsDisposed;

    /// <summary>The gradient without marking it as seen by user code; null once disposed.</summary>
    internal Variable? GradInternal
    {
        get
        {
            var g = grad;
            return g is null || g.IsDisposed ? null : g;
        }
    }

    /// <summary>A creation number, unique and increasing: orders locks taken on several variables.</summary>
    internal long Stamp { get; }

    /// <summary>True for gradients the engine made (seeds, backward results, sums): only those does it dispose.</summary>
    internal bool EngineMade { get; init; }

    /// <summary>True once user code was handed this variable as a gradient.</summary>
    internal bool Exposed => Volatile.Read(ref exposed) != 0;

    /// <summary>Drops the gradient.</summary>
    public void ClearGrad()
    {
        lock (this)
            SetGradLocked(null);
    }

    /// <summary>
    /// Back-propagates from this variable: its gradient starts as ones (unless set), every function that led to
    /// it runs its backward in decreasing generation, and gradients reaching a variable twice are added
    /// (<c>x.grad = x.grad + gx</c>). With <paramref name="retainGrad"/> false the gradients of intermediate
    /// variables are dropped, and their buffers go back to the pool at once. With <paramref name="createGraph"/>
    /// the backward computation is itself recorded, so that the gradients can be differentiated again.
    /// <para>
    /// The graph is checked before anything changes: a disposed input fails the call with nothing changed.
    /// A failure while computing leaves every gradient as it was. Gradients of leaves are added atomically, so
    /// passes on several threads that share leaves give exact sums.
    /// </para>
    /// </summary>
    /// <exception cref="ObjectDisposedException">This variable, or a variable the pass needs, was disposed.</exception>
    public void Backward(bool retainGrad = false, bool createGraph = false)
    {
        if (IsDisposed)
            throw DisposedError("Backward");
        BackwardPass.Run(this, retainGrad, createGraph);
    }

    /// <summary>
    /// Back-propagates from this variable with <paramref name="outputGrad"/> as its gradient (PyTorch's
    /// <c>y.backward(gy)</c>; DeZero's <c>y.grad = gy</c> before <c>y.backward()</c>), which stays yours: the engine
    /// never disposes it. Otherwise as <see cref="Backward(bool, bool)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The gradient differs from the data in shape, element type or device.</exception>
    /// <exception cref="ObjectDisposedException">This variable, the gradient or a variable the pass needs was disposed.</exception>
    public void Backward(Variable outputGrad, bool retainGrad = false, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(outputGrad);
        if (IsDisposed)
            throw DisposedError("Backward");
        if (outputGrad.IsDisposed)
            throw outputGrad.DisposedError($"Backward: the gradient given for {Describe()}");
        CheckGradient("Backward", outputGrad);
        BackwardPass.Run(this, retainGrad, createGraph, outputGrad);
    }

    /// <summary>
    /// Returns the data to the pool now, and the gradient when the engine made it and no other variable holds it.
    /// A gradient you set through <see cref="Grad"/> stays yours.
    /// </summary>
    public void Dispose()
    {
        Variable? g;
        lock (this)
        {
            g = grad;
            grad = null;
        }
        if (g is not null && g.ReleaseHold() && g.EngineMade)
            g.data.Dispose();
        data.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>DeZero style: <c>variable(2.0)</c>, <c>variable([1.0, 2.0])</c>.</summary>
    public override string ToString() => IsDisposed ? "variable(disposed)" : $"variable({data})";

    /// <summary>The value of a one-element variable.</summary>
    public double Item() => data.Item();

    /// <summary>Copies the data to a new host array; <typeparamref name="T"/> must match <see cref="DType"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged => data.ToArray<T>();

    /// <summary>Copies the data to a new host array of doubles.</summary>
    public double[] ToDoubleArray() => data.ToDoubleArray();

    /// <summary>The error for using this variable after it, or its device, was disposed.</summary>
    internal ObjectDisposedException DisposedError(string context) => new(
        nameof(Variable),
        Device.IsDisposed ? $"{context}: {Describe()} is gone: its device {Device.Id} was disposed" : $"{context}: {Describe()} was disposed{data.DisposalNote}");

    /// <summary>How errors name this variable: its name (if any), shape and type.</summary>
    internal string Describe() => $"{(Name is null ? "variable" : $"variable '{Name}'")} {data.Shape} {data.DType.Name()}";

    internal void SetCreator(Function function)
    {
        Creator = function;
        Generation = function.Generation + 1;
    }

    /// <summary>Forgets the function that made this variable (DeZero's <c>unchain</c>): a backward pass stops here.</summary>
    public void Unchain() => Creator = null;

    /// <summary>
    /// Forgets every function of the graph behind this variable (DeZero's <c>unchain_backward</c>), which a truncated
    /// backpropagation through time calls after each stretch: the recorded functions, and the tensors only they held,
    /// become garbage, and the next backward pass stops at this variable.
    /// </summary>
    public void UnchainBackward()
    {
        var pending = new Stack<Function>();
        if (Creator is { } creator)
            pending.Push(creator);
        Unchain();
        var seen = new HashSet<Function>(ReferenceEqualityComparer.Instance);
        while (pending.TryPop(out var f))
        {
            if (!seen.Add(f))
                continue;
            foreach (var x in f.Inputs)
            {
                if (x.Creator is { } c)
                {
                    pending.Push(c);
                    x.Unchain();
                }
            }
        }
    }

    /// <summary>
    /// Replaces the gradient; the caller holds this variable's lock. The new one gains a hold, the old one loses
    /// its and, with <paramref name="disposeOld"/>, goes back to the pool when nothing else claims it.
    /// </summary>
    internal void SetGradLocked(Variable? value, bool disposeOld = true)
    {
        var old = grad;
        if (ReferenceEquals(old, value))
            return;
        value?.AddHold();
        grad = value;
        if (old is not null && old.ReleaseHold() && disposeOld)
            old.DisposeIfUnclaimed();
    }

    /// <summary>Throws unless <paramref name="g"/> fits as this variable's gradient.</summary>
    internal void CheckGradient(string what, Variable g)
    {
        var d = data;
        if (!g.Shape.Equals(d.Shape) || g.DType != d.DType || !g.Device.SharesAcceleratorWith(d.Device))
            throw new ArgumentException($"{what}: a gradient {g.Shape} {g.DType.Name()} on {g.Device.Id} does not fit {Describe()} on {d.Device.Id}");
    }

    internal void AddHold() => Interlocked.Increment(ref holds);

    /// <summary>Drops one hold; true when none is left.</summary>
    internal bool ReleaseHold() => Interlocked.Decrement(ref holds) <= 0;

    /// <summary>Disposes the data of an engine-made gradient that nothing holds and no user has seen.</summary>
    internal void DisposeIfUnclaimed()
    {
        if (EngineMade && !Exposed && Volatile.Read(ref holds) <= 0)
            data.Dispose();
    }

    private void MarkExposed() => Volatile.Write(ref exposed, 1);
}
