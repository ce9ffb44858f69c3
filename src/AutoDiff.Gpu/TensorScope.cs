namespace AutoDiff.Gpu;

/// <summary>
/// A dispose scope: every tensor created on this thread while the scope is the innermost one is disposed when
/// the scope is, except what <see cref="Keep(Tensor)"/> or <see cref="Keep(Variable)"/> moves out to the
/// enclosing scope (or out of all scopes). Scopes nest and are per thread.
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
    [ThreadStatic]
    private static TensorScope? current;

    private readonly TensorScope? parent;
    private readonly List<Tensor> tensors = [];
    private readonly int threadId = Environment.CurrentManagedThreadId;
    private bool disposed;

    private TensorScope(TensorScope? parent) => this.parent = parent;

    /// <summary>The innermost scope of this thread, or null.</summary>
    public static TensorScope? Current => current;

    /// <summary>Tensors this scope will dispose.</summary>
    public int Count => tensors.Count;

    /// <summary>Opens a scope nested in the current one.</summary>
    public static TensorScope Begin() => current = new TensorScope(current);

    /// <summary>Moves <paramref name="tensor"/> out of this scope into the enclosing one; returns it.</summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensors.Remove(tensor))
            parent?.tensors.Add(tensor);
        return tensor;
    }

    /// <summary>Moves a variable's data and gradient out of this scope into the enclosing one; returns it.</summary>
    public Variable Keep(Variable variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        Keep(variable.Data);
        if (variable.GradInternal is { } g)
            Keep(g);
        return variable;
    }

    /// <summary>Disposes every tensor still in the scope and closes it.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        if (Environment.CurrentManagedThreadId != threadId)
            throw new InvalidOperationException("a TensorScope must be disposed on the thread that opened it");
        disposed = true;
        foreach (var t in tensors)
            t.Dispose();
        tensors.Clear();
        // Close this scope and any inner one left open.
        if (current is { } c && IsSelfOrInner(c))
            current = parent;
    }

    internal static void Track(Tensor tensor) => current?.tensors.Add(tensor);

    private bool IsSelfOrInner(TensorScope scope)
    {
        for (var s = scope; s is not null; s = s.parent)
        {
            if (ReferenceEquals(s, this))
                return true;
        }
        return false;
    }
}
