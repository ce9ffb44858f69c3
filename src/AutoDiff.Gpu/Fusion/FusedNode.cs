namespace AutoDiff.Gpu;

/// <summary>
/// A node of a pending elementwise expression: an operator over other nodes, a constant, or an input (the storage of a
/// computed tensor). Immutable, so pending tensors share subexpressions freely; a shared one is computed again in each
/// kernel that inlines it.
/// </summary>
internal sealed class FusedNode
{
    private FusedNode(FusedNodeKind kind, object? op, FusedNode? a, FusedNode? b, Storage? input, int ops, Storage[] inputs)
    {
        Kind = kind;
        Operator = op;
        A = a;
        B = b;
        Input = input;
        Ops = ops;
        Inputs = inputs;
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

    /// <summary>Operators in the expression as a tree (a shared subexpression counts at each use).</summary>
    public int Ops { get; }

    /// <summary>The distinct storages the expression reads.</summary>
    public Storage[] Inputs { get; }

    /// <summary>An input reading <paramref name="storage"/>.</summary>
    public static FusedNode Read(Storage storage) => new(FusedNodeKind.Input, null, null, null, storage, 0, [storage]);

    /// <summary>The constant <paramref name="value"/>.</summary>
    public static FusedNode Constant(double value) =>
        new(FusedNodeKind.Constant, new Kernels.Constant(value), null, null, null, 0, []);

    /// <summary>op(x).</summary>
    public static FusedNode Unary(object op, FusedNode x) => new(FusedNodeKind.Unary, op, x, null, null, x.Ops + 1, x.Inputs);

    /// <summary>op(a, b).</summary>
    public static FusedNode Binary(object op, FusedNode a, FusedNode b) =>
        new(FusedNodeKind.Binary, op, a, b, null, a.Ops + b.Ops + 1, Union(a.Inputs, b.Inputs));

    /// <summary>The number of distinct storages <paramref name="a"/> and <paramref name="b"/> read together.</summary>
    public static int InputCount(FusedNode a, FusedNode b)
    {
        int count = a.Inputs.Length;
        foreach (var s in b.Inputs)
        {
            if (Array.IndexOf(a.Inputs, s) < 0)
                count++;
        }
        return count;
    }

    private static Storage[] Union(Storage[] a, Storage[] b)
    {
        if (b.Length == 0 || ReferenceEquals(a, b))
            return a;
        if (a.Length == 0)
            return b;
        var union = new List<Storage>(a);
        foreach (var s in b)
        {
            if (!union.Contains(s))
                union.Add(s);
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
