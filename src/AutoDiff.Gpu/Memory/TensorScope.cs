namespace AutoDiff.Gpu;

/// <summary>
/// A dispose scope: every tensor created while the scope is the innermost open one is disposed when the scope
/// is, except what <see cref="Keep(Tensor)"/> or <see cref="Keep(Variable)"/> moves out to the enclosing scope
/// (or out of all scopes). Scopes nest. Like <see cref="Config"/>, the current scope is ambient state of the
/// logical flow (<see cref="AsyncLocal{T}"/>): it stays with the code that opened it across <c>await</c>, may be
/// disposed on whichever thread that code continues on, and is never seen by unrelated work.
/// Disposing a scope disposes the scopes opened inside it that are still open.
/// A gradient accumulated into a variable belongs to the scope of that variable's data, not to the scope
/// that happens to be open during <see cref="Variable.Backward(bool, bool)"/>.
/// </summary>
/// <example><code>
/// using (var scope = TensorScope.Begin())
/// {
///     var y = Square(Square(x));
///     result = scope.Keep(y);   // everything else made inside is freed here
/// }
/// </code></example>
public sealed class TensorScope : IDisposable
{
    private static readonly AsyncLocal<TensorScope?> Innermost = new();

    private readonly TensorScope? parent;
    private readonly Lock gate = new();
    private readonly HashSet<Tensor> tensors = new(ReferenceEqualityComparer.Instance);
    private readonly List<TensorScope> inner = [];
    private bool disposed;

    private TensorScope(TensorScope? parent) => this.parent = parent;

    /// <summary>The innermost open scope of this flow, or null.</summary>
    public static TensorScope? Current
    {
        get
        {
            var s = Innermost.Value;
            while (s is not null && s.IsDisposed)
                s = s.parent;
            return s;
        }
    }

    /// <summary>Tensors this scope will dispose.</summary>
    public int Count
    {
        get
        {
            lock (gate)
                return tensors.Count;
        }
    }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed
    {
        get
        {
            lock (gate)
                return disposed;
        }
    }

    /// <summary>Opens a scope nested in the current one.</summary>
    public static TensorScope Begin()
    {
        var outer = Current;
        var scope = new TensorScope(outer);
        outer?.AddInner(scope);
        Innermost.Value = scope;
        return scope;
    }

    /// <summary>Moves <paramref name="tensor"/> out of this scope into the enclosing one (or out of all scopes); returns it.</summary>
    /// <exception cref="ObjectDisposedException">This scope was disposed.</exception>
    /// <exception cref="ArgumentException">The tensor is not in this scope.</exception>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!tensors.Remove(tensor))
                throw new ArgumentException($"tensor {tensor.Shape} {tensor.DType.Name()} is not in this scope: it was made outside it or already kept", nameof(tensor));
            tensor.Scope = null;
        }
        Adopt(parent, tensor);
        return tensor;
    }

    /// <summary>Moves those of a variable's data and gradient that are in this scope into the enclosing one; returns it.</summary>
    /// <exception cref="ObjectDisposedException">This scope was disposed.</exception>
    public Variable Keep(Variable variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        foreach (var t in new[] { variable.Data, variable.GradInternal?.Data })
        {
            if (t is not null && ReferenceEquals(t.Scope, this))
                Keep(t);
        }
        return variable;
    }

    /// <summary>
    /// Takes <paramref name="tensor"/> out of whatever scope holds it, so that no scope disposes it (TorchSharp's
    /// <c>DetachFromDisposeScope</c>): for state that outlives the step that made it, as parameters and an optimizer's
    /// moments do. Its buffer still goes back to the pool on <see cref="Tensor.Dispose"/> or when unreachable.
    /// </summary>
    /// <returns>The tensor.</returns>
    public static Tensor Detach(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        MoveTo(tensor, null);
        return tensor;
    }

    /// <summary>Takes a variable's data and gradient out of whatever scopes hold them (see <see cref="Detach(Tensor)"/>).</summary>
    /// <returns>The variable.</returns>
    public static Variable Detach(Variable variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        MoveTo(variable.Data, null);
        if (variable.GradInternal is { } g)
            MoveTo(g.Data, null);
        return variable;
    }

    /// <summary>Disposes the scopes opened inside this one that are still open, then every tensor still in this one, and closes it.</summary>
    public void Dispose()
    {
        TensorScope[] nested;
        Tensor[] owned;
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            nested = [.. inner];
            inner.Clear();
            owned = [.. tensors];
            tensors.Clear();
        }
        foreach (var s in nested)
            s.Dispose();
        // Pending tensors first: freeing a tensor that one reads would compute it for nothing.
        foreach (var t in owned.OrderByDescending(t => t.IsPending))
        {
            t.Scope = null;
            t.DisposeWithScope();
        }
        parent?.RemoveInner(this);
        var top = Innermost.Value;
        if (top is not null && top.IsSelfOrInside(this))
            Innermost.Value = Current;
    }

    /// <summary>Puts a new tensor in the current scope.</summary>
    internal static void Track(Tensor tensor) => Adopt(Current, tensor);

    /// <summary>Moves <paramref name="tensor"/> from whatever scope holds it to <paramref name="target"/>'s (or out of all scopes).</summary>
    internal static void MoveTo(Tensor tensor, TensorScope? target)
    {
        var from = tensor.Scope;
        if (ReferenceEquals(from, target))
            return;
        if (from is not null)
        {
            lock (from.gate)
            {
                if (from.tensors.Remove(tensor))
                    tensor.Scope = null;
            }
        }
        Adopt(target, tensor);
    }

    /// <summary>Adds a tensor to <paramref name="scope"/>, or to its nearest open ancestor when it was just disposed.</summary>
    private static void Adopt(TensorScope? scope, Tensor tensor)
    {
        for (var s = scope; s is not null; s = s.parent)
        {
            lock (s.gate)
            {
                if (s.disposed)
                    continue;
                s.tensors.Add(tensor);
                tensor.Scope = s;
                return;
            }
        }
    }

    private void AddInner(TensorScope scope)
    {
        lock (gate)
            inner.Add(scope);
    }

    private void RemoveInner(TensorScope scope)
    {
        lock (gate)
            inner.Remove(scope);
    }

    private bool IsSelfOrInside(TensorScope scope)
    {
        for (var s = this; s is not null; s = s.parent)
        {
            if (ReferenceEquals(s, scope))
                return true;
        }
        return false;
    }
}
