namespace AutoDiff.Gpu;

/// <summary>
/// A node of the graph: its data, its gradient, the function that created it and its generation (DeZero's
/// <c>Variable</c>). A variable owns its data tensor; <see cref="Dispose"/> returns it to the pool now.
/// </summary>
public sealed class Variable : IDisposable
{
    private Tensor data;
    private Tensor? grad;

    /// <summary>Wraps <paramref name="data"/>; the variable owns it from now on.</summary>
    public Variable(Tensor data, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(data, nameof(data));
        data.ThrowIfDisposed();
        this.data = data;
        Name = name;
    }

    /// <summary>The value.</summary>
    public Tensor Data
    {
        get => data;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.ThrowIfDisposed();
            data = value;
        }
    }

    /// <summary>
    /// The gradient, or null. Intermediate gradients are dropped by <see cref="Backward"/> unless it is asked to
    /// retain them. A tensor read from here is never released early by the engine. A gradient disposed
    /// elsewhere (say by the <see cref="TensorScope"/> it was made in) reads as null, as after <see cref="ClearGrad"/>.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            var g = GradInternal;
            if (g is not null)
                g.Exposed = true;
            return g;
        }
        set
        {
            if (value is not null)
            {
                value.ThrowIfDisposed();
                Elementwise.CheckSame("Grad", data, value);
                value.Exposed = true;
            }
            SetGrad(value);
        }
    }

    /// <summary>The function that produced this variable while backprop was enabled, or null.</summary>
    public Function? Creator { get; private set; }

    /// <summary>Creator's generation + 1; 0 for leaves.</summary>
    public int Generation { get; private set; }

    /// <summary>An optional name (shown in graphs).</summary>
    public string? Name { get; set; }

    /// <summary>The data's shape.</summary>
    public Shape Shape => data.Shape;

    /// <summary>The data's element type.</summary>
    public DType DType => data.DType;

    /// <summary>The data's device.</summary>
    public Device Device => data.Device;

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => data.IsDisposed;

    /// <summary>The gradient without marking it as seen by user code; null once disposed.</summary>
    internal Tensor? GradInternal
    {
        get
        {
            if (grad is { IsDisposed: true })
                grad = null;
            return grad;
        }
    }

    /// <summary>y = a + b.</summary>
    public static Variable operator +(Variable a, Variable b) => F.Add(a, b);

    /// <summary>Drops the gradient.</summary>
    public void ClearGrad() => SetGrad(null);

    /// <summary>
    /// Back-propagates from this variable: its gradient starts as ones (unless set), every function that led to
    /// it runs its backward in decreasing generation, and gradients reaching a variable twice are added into a
    /// new buffer. With <paramref name="retainGrad"/> false the gradients of intermediate variables are dropped,
    /// and their buffers go back to the pool at once.
    /// </summary>
    public void Backward(bool retainGrad = false)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (GradInternal is null)
            SetGrad(data.Device.Ones(data.Shape, data.DType));
        if (Creator is null)
            return;

        var pending = new PriorityQueue<Function, int>();
        var seen = new HashSet<Function>(ReferenceEqualityComparer.Instance);
        pending.Enqueue(Creator, -Creator.Generation);
        seen.Add(Creator);

        while (pending.TryDequeue(out var f, out _))
        {
            var outputs = f.LiveOutputs();
            var gys = new Tensor[outputs.Length];
            for (int i = 0; i < outputs.Length; i++)
                gys[i] = outputs[i]?.GradInternal ?? f.ZeroGradFor(i);
            var gxs = f.BackwardCore(gys);

            // Hold every gx until all inputs took theirs: a function may return one tensor for several inputs.
            foreach (var gx in gxs)
                gx.Holds++;
            for (int i = 0; i < gxs.Length; i++)
            {
                var x = f.Inputs[i];
                var gx = gxs[i];
                x.SetGrad(x.GradInternal is { } old ? Elementwise.Add(old, gx) : gx);
                if (x.Creator is { } c && seen.Add(c))
                    pending.Enqueue(c, -c.Generation);
            }
            foreach (var gx in gxs)
                Release(gx);
            foreach (var gy in gys)
            {
                if (gy.Holds == 0)
                    Release(gy, alreadyDropped: true);
            }

            if (!retainGrad)
            {
                foreach (var y in outputs)
                    y?.SetGrad(null);
            }
        }
    }

    /// <summary>Returns the data (and the gradient, unless another variable holds it) to the pool now.</summary>
    public void Dispose()
    {
        var g = grad;
        grad = null;
        if (g is not null)
        {
            g.Holds--;
            if (g.Holds <= 0)
                g.Dispose();
        }
        data.Dispose();
    }

    /// <summary>DeZero style: <c>variable(2.0)</c>.</summary>
    public override string ToString() => IsDisposed ? "variable(disposed)" : $"variable({data})";

    internal void SetCreator(Function function)
    {
        Creator = function;
        Generation = function.Generation + 1;
    }

    private void SetGrad(Tensor? value)
    {
        var old = grad;
        if (ReferenceEquals(old, value))
            return;
        if (value is not null)
            value.Holds++;
        grad = value;
        if (old is not null)
            Release(old);
    }

    /// <summary>Drops one hold; a tensor no variable holds and no user has seen goes back to the pool now.</summary>
    private static void Release(Tensor t, bool alreadyDropped = false)
    {
        if (!alreadyDropped)
            t.Holds--;
        if (t.Holds <= 0 && !t.Exposed)
            t.Dispose();
    }
}
