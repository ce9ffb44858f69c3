using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu;

/// <summary>
/// Lazy fusion of elementwise operations. While <see cref="Config.Fusion"/> is on, a map or a zip returns a pending
/// tensor: an expression over computed tensors, with no memory of its own. A reduction evaluates it where it reads
/// each element, so it is never written (see <see cref="Reduce"/>). Reading it otherwise (a host copy, a
/// matrix product, any operation other than an elementwise one) computes the whole expression in one kernel, so
/// intermediates that nobody reads are never written. A zip's operand may be broadcast (NumPy's rules): the
/// expression reads it through a <see cref="BroadcastIndex"/>, a bias row or a column of statistics per element.
/// </summary>
/// <remarks>
/// The rule for shared intermediates is recomputation: a pending operand is inlined into each expression that uses
/// it, as long as that expression stays within <see cref="MaxOps"/> operators and <see cref="Operands{T}.Count"/>
/// inputs; past either bound the largest pending operand is computed first and read as an input. A broadcast operand
/// is computed first (it is small, and an expression's elements are those of its result). A pending tensor sees the
/// values it was made from: a tensor it reads is computed before it is changed in place or freed.
/// </remarks>
internal static class Fuser
{
    /// <summary>The most operators one fused kernel evaluates per element.</summary>
    public const int MaxOps = 32;

    /// <summary>
    /// Whether an elementwise function of <paramref name="a"/> and <paramref name="b"/> with a result of
    /// <paramref name="shape"/> returns a pending tensor: while <see cref="Config.Fusion"/> is on, when an operand is
    /// pending already or the result has at least <see cref="Device.FusionMinElements"/> elements.
    /// </summary>
    public static bool Fuses(Tensor a, Tensor b, Shape shape) =>
        Config.Fusion && (a.IsPending || b.IsPending || shape.Length >= a.Device.FusionMinElements);

    /// <summary><c>op(x)</c>, pending.</summary>
    public static Tensor Map<TOp>(Tensor x, TOp op)
        where TOp : struct, IUnaryOperator
    {
        var a = Operand(x);
        if (a.Ops + 1 > MaxOps)
            a = x.Storage.Read;
        return new Tensor(x.Device, x.DType, x.Shape, FusedNode.Unary(Boxed(op), a));
    }

    /// <summary>
    /// <c>op(a, b)</c> with a result of <paramref name="shape"/> (the operands' broadcast), pending; null when a
    /// broadcast operand needs more than <see cref="BroadcastIndex.MaxTerms"/> terms.
    /// </summary>
    public static Tensor? Zip<TOp>(Tensor a, Tensor b, TOp op, Shape shape)
        where TOp : struct, IBinaryOperator
    {
        if (Operand(a, shape) is not { } na || Operand(b, shape) is not { } nb)
            return null;
        while (na.Ops + nb.Ops + 1 > MaxOps || FusedNode.InputCount(na, nb) > Operands<float>.Count)
        {
            // Compute the larger pending operand first; an input is never pending.
            if (na.Kind != FusedNodeKind.Input && (na.Ops >= nb.Ops || nb.Kind == FusedNodeKind.Input))
                na = a.Storage.Read;
            else
                nb = b.Storage.Read;
        }
        return new Tensor(a.Device, a.DType, shape, FusedNode.Binary(Boxed(op), na, nb));
    }

    /// <summary>
    /// <c>op(x read as <paramref name="shape"/> by <paramref name="strides"/>)</c>, 0 along broadcast dimensions,
    /// pending (with the identity, a bare read); null when the broadcast needs more than
    /// <see cref="BroadcastIndex.MaxTerms"/> terms or is none.
    /// </summary>
    public static Tensor? Broadcast<TOp>(Tensor x, Shape shape, long[] strides, TOp op)
        where TOp : struct, IUnaryOperator
    {
        if (x.Length == shape.Length || Read(x, shape, strides) is not { } read)
            return null;
        var node = typeof(TOp) == typeof(IdentityOperator) ? read : FusedNode.Unary(Boxed(op), read);
        return new Tensor(x.Device, x.DType, shape, node);
    }

    /// <summary>A tensor of <paramref name="value"/>, pending.</summary>
    public static Tensor Full(Device device, Shape shape, DType dtype, double value) =>
        new(device, dtype, shape, FusedNode.Constant(value));

    /// <summary>The operator as an object: one shared box for an operator without parameters (an empty struct).</summary>
    private static object Boxed<TOp>(TOp op)
        where TOp : struct =>
        System.Runtime.CompilerServices.Unsafe.SizeOf<TOp>() == 1 ? Stateless<TOp>.Box : op;

    /// <summary>Computes <paramref name="root"/> into <paramref name="y"/> (<paramref name="length"/> elements) in one kernel.</summary>
    public static void Run(FusedNode root, Storage y, long length, DType dtype) =>
        Plan(root, new Elementwise(y, length, dtype));

    /// <summary>
    /// <c>y = post(⊕ e)</c> over the middle axis of <paramref name="root"/>'s elements viewed as (outer, n, inner),
    /// each evaluated where the reduction reads it: the expression is never written.
    /// </summary>
    public static void Reduce<TReduce, TPost>(
        FusedNode root, Tensor y, long outer, long n, long inner, DType dtype, TPost post)
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator =>
        Plan(root, new Reduction<TReduce, TPost>(y, outer, n, inner, dtype, post));

    /// <summary>Runs <paramref name="launch"/> on <paramref name="root"/>'s expression, one plan a shape.</summary>
    private static void Plan<TLaunch>(FusedNode root, in TLaunch launch)
        where TLaunch : struct, FusedPlans.ILaunch
    {
        var scratch = Scratch ??= new();
        var (operators, signature, inputs) = (scratch.Operators, scratch.Signature, scratch.Inputs);
        try
        {
            Walk(root, operators, signature, inputs);
            var plan = FusedPlans.For(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(signature));
            plan.Run(launch, new OperatorList([.. operators]), [.. inputs]);
        }
        finally
        {
            // The lists must not keep the inputs' storages reachable: the pool reclaims them once unreachable.
            operators.Clear();
            signature.Clear();
            inputs.Clear();
        }
    }

    /// <summary>The elementwise launch: the expression into y.</summary>
    private readonly struct Elementwise(Storage y, long length, DType dtype) : FusedPlans.ILaunch
    {
        public void Run<TExpr>(TExpr expr, FusedNode[] inputs)
            where TExpr : struct, IExpression =>
            Launch.Fused(y.Device, dtype, expr, inputs, y, length);
    }

    /// <summary>The reduction of the expression's elements into y.</summary>
    private readonly struct Reduction<TReduce, TPost>(Tensor y, long outer, long n, long inner, DType dtype, TPost post)
        : FusedPlans.ILaunch
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        public void Run<TExpr>(TExpr expr, FusedNode[] inputs)
            where TExpr : struct, IExpression =>
            Launch.FusedReduce<TExpr, TReduce, TPost>(y.Device, dtype, expr, inputs, y, outer, n, inner, post);
    }

    [ThreadStatic]
    private static Lists? Scratch;

    /// <summary>The lists a walk fills, kept per thread.</summary>
    private sealed class Lists
    {
        public List<object> Operators { get; } = [];

        public List<int> Signature { get; } = [];

        public List<FusedNode> Inputs { get; } = [];
    }

    /// <summary>The one box of an operator type's default value.</summary>
    private static class Stateless<TOp>
        where TOp : struct
    {
        public static readonly object Box = default(TOp);
    }

    /// <summary>The node of <paramref name="x"/>: its pending expression, or an input reading its data.</summary>
    private static FusedNode Operand(Tensor x) => x.Pending ?? x.Storage.Read;

    /// <summary>
    /// The node of <paramref name="x"/> in an expression of <paramref name="shape"/>: as <see cref="Operand(Tensor)"/>
    /// at the expression's length, else its data (computed first) read through a broadcast index, or null.
    /// </summary>
    private static FusedNode? Operand(Tensor x, Shape shape) =>
        x.Length == shape.Length ? Operand(x) : Read(x, shape, x.Shape.BroadcastStrides(shape));

    /// <summary>x's data (computed first), read as <paramref name="shape"/> by these strides; or null.</summary>
    private static FusedNode? Read(Tensor x, Shape shape, long[] strides) =>
        shape.Length > 0 && BroadcastIndex.TryCreate(shape.Dimensions, strides, out var index)
            ? FusedNode.Read(x.Storage, index)
            : null;

    /// <summary>Lists the operators and the signature of <paramref name="node"/> in prefix order, and its inputs as first read.</summary>
    private static void Walk(FusedNode node, List<object> operators, List<int> signature, List<FusedNode> inputs)
    {
        switch (node.Kind)
        {
            case FusedNodeKind.Input:
                int slot = FusedNode.IndexOf(inputs, node);
                if (slot < 0)
                {
                    slot = inputs.Count;
                    inputs.Add(node);
                }
                if (node.Index is { } index)
                {
                    signature.Add(FusedPlans.BroadcastCode);
                    signature.Add(slot);
                    signature.Add(index.Step);
                }
                else
                {
                    signature.Add(FusedPlans.InputCode);
                    signature.Add(slot);
                }
                break;
            case FusedNodeKind.Constant:
                signature.Add(FusedPlans.ConstantCode);
                operators.Add(node.Operator!);
                break;
            case FusedNodeKind.Unary:
                signature.Add(FusedPlans.UnaryCode);
                signature.Add(FusedPlans.OperatorId(node.Operator!.GetType()));
                operators.Add(node.Operator);
                Walk(node.A!, operators, signature, inputs);
                break;
            default:
                signature.Add(FusedPlans.BinaryCode);
                signature.Add(FusedPlans.OperatorId(node.Operator!.GetType()));
                operators.Add(node.Operator);
                Walk(node.A!, operators, signature, inputs);
                Walk(node.B!, operators, signature, inputs);
                break;
        }
    }
}
