namespace AutoDiff.Gpu;

/// <summary>
/// A node of a pending elementwise expression: an operator over other nodes, a constant, or an input (the storage of a
/// computed tensor, read whole or through a broadcast index). Immutable, so pending tensors share subexpressions
/// freely; a shared one is computed again in each kernel that inlines it. Element i of an expression is element i of
/// its flat, row-major order whatever the tensor's shape, so a reshaped pending view stays the same expression.
/// </summary>
internal sealed class FusedNode
{
    private FusedNode(
        FusedNodeKind kind, object? op, FusedNode? a, FusedNode? b, Storage? input, Kernels.BroadcastIndex? index,
        int ops, FusedNode[]? inputs)
    {
        Kind = kind;
        Operator = op;
        A = a;
        B = b;
        Input = input;
        Index = index;
        Ops = ops;
        Inputs = inputs ?? [this];
    }

    /// <summary>What the node is.</summary>
    public FusedNodeKind Kind { get; }

    /// <summary>The operator struct, boxed (a <see cref="Kernels.Constant"/> for a constant), or null for an input.</summary>
    public object? Operator { get; }

    /// <summary>The first operand.</summary>
    public FusedNode? A { get; }

    /// <summary>The second operand.</summary>
    public FusedNode? B { get; }

    /// <summary>The storage an input reads.</summary>
    public Storage? Input { get; }

    /// <summary>Where an input broadcast to the expression's shape holds element i; null for one read whole.</summary>
    public Kernels.BroadcastIndex? Index { get; }

    /// <summary>Operators in the expression as a tree (a shared subexpression counts at each use).</summary>
    public int Ops { get; }

    /// <summary>The distinct inputs the expression reads (an input: itself), one kernel slot each.</summary>
    public FusedNode[] Inputs { get; }

    /// <summary>An input reading <paramref name="storage"/> whole.</summary>
    public static FusedNode Read(Storage storage) =>
        new(FusedNodeKind.Input, null, null, null, storage, null, 0, null);

    /// <summary>An input reading <paramref name="storage"/> broadcast by <paramref name="index"/>.</summary>
    public static FusedNode Read(Storage storage, Kernels.BroadcastIndex index) =>
        new(FusedNodeKind.Input, null, null, null, storage, index, 0, null);

    /// <summary>The constant <paramref name="value"/>.</summary>
    public static FusedNode Constant(double value) =>
        new(FusedNodeKind.Constant, new Kernels.Constant(value), null, null, null, null, 0, []);

    /// <summary>op(x).</summary>
    public static FusedNode Unary(object op, FusedNode x) =>
        new(FusedNodeKind.Unary, op, x, null, null, null, x.Ops + 1, x.Inputs);

    /// <summary>op(a, b).</summary>
    public static FusedNode Binary(object op, FusedNode a, FusedNode b) =>
        new(FusedNodeKind.Binary, op, a, b, null, null, a.Ops + b.Ops + 1, Union(a.Inputs, b.Inputs));

    /// <summary>Whether two inputs read the same elements of the same storage (one slot serves both).</summary>
    public bool SameRead(FusedNode other) =>
        ReferenceEquals(this, other) || (ReferenceEquals(Input, other.Input) && Nullable.Equals(Index, other.Index));

    /// <summary>The position of a <see cref="SameRead"/> of <paramref name="input"/> in the list, or −1.</summary>
    public static int IndexOf(IReadOnlyList<FusedNode> inputs, FusedNode input)
    {
        for (int k = 0; k < inputs.Count; k++)
        {
            if (inputs[k].SameRead(input))
                return k;
        }
        return -1;
    }

    /// <summary>The number of distinct inputs <paramref name="a"/> and <paramref name="b"/> read together.</summary>
    public static int InputCount(FusedNode a, FusedNode b)
    {
        int count = a.Inputs.Length;
        foreach (var input in b.Inputs)
        {
            if (IndexOf(a.Inputs, input) < 0)
                count++;
        }
        return count;
    }

    private static FusedNode[] Union(FusedNode[] a, FusedNode[] b)
    {
        if (b.Length == 0 || ReferenceEquals(a, b))
            return a;
        if (a.Length == 0)
            return b;
        var union = new List<FusedNode>(a);
        foreach (var input in b)
        {
            if (IndexOf(union, input) < 0)
                union.Add(input);
        }
        return union.Count == a.Length ? a : [.. union];
    }
}

/// <summary>The kinds of <see cref="FusedNode"/>.</summary>
internal enum FusedNodeKind
{
    /// <summary>A computed tensor's storage.</summary>
    Input,

    /// <summary>A value for every element.</summary>
    Constant,

    /// <summary>An operator of one operand.</summary>
    Unary,

    /// <summary>An operator of two operands.</summary>
    Binary,
}
