namespace AutoDiff.Gpu;

/// <summary>
/// Variables as keys by identity, hashed by their <see cref="Variable.Stamp"/>. A variable is also a lock; hashing
/// it by its object header (as <see cref="ReferenceEqualityComparer"/> does) would turn its thin lock into a sync
/// block, which costs more than the rest of a small step.
/// </summary>
internal sealed class VariableIdentity : IEqualityComparer<Variable>
{
    /// <summary>The one instance.</summary>
    public static VariableIdentity Instance { get; } = new();

    private VariableIdentity()
    {
    }

    public bool Equals(Variable? x, Variable? y) => ReferenceEquals(x, y);

    public int GetHashCode(Variable obj) => obj.Stamp.GetHashCode();
}
