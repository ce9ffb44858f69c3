using System.Collections.Concurrent;
using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;

namespace AutoDiff.Gpu;

/// <summary>
/// The plans of fused expressions, one per expression shape (its signature), made once per process: the expression's
/// type is composed at run time from the kernel library's nodes, and a plan closed over it is cached. A plan serves
/// every launch of its shape: elementwise, or a reduction of the expression's elements.
/// Kernels themselves are compiled per accelerator by the kernel library, on the first launch of each shape. A
/// broadcast input's layout class (contiguous or repeated runs) is part of the shape; its sizes and strides are not.
/// </summary>
internal static class FusedPlans
{
    /// <summary>Signature code of an operator of one operand; the operator's id follows.</summary>
    public const int UnaryCode = -1;

    /// <summary>Signature code of an operator of two operands; the operator's id follows.</summary>
    public const int BinaryCode = -2;

    /// <summary>Signature code of an input; its slot follows.</summary>
    public const int InputCode = -3;

    /// <summary>Signature code of a constant.</summary>
    public const int ConstantCode = -4;

    /// <summary>Signature code of a broadcast input; its slot and its index's step (1 or 0) follow.</summary>
    public const int BroadcastCode = -5;

    private static readonly ConcurrentDictionary<Type, int> Ids = new();
    private static readonly ConcurrentDictionary<int, Type> Types = new();
    private static readonly ConcurrentDictionary<int[], Plan> Plans = new(new SignatureComparer());
    private static readonly ConcurrentDictionary<int[], Plan>.AlternateLookup<ReadOnlySpan<int>> PlansBySpan =
        Plans.GetAlternateLookup<ReadOnlySpan<int>>();

    /// <summary>A launch of an expression, elementwise or a reduction, given the expression's value.</summary>
    public interface ILaunch
    {
        /// <summary>Launches <paramref name="expr"/>, its inputs by slot.</summary>
        void Run<TExpr>(TExpr expr, FusedNode[] inputs)
            where TExpr : struct, IExpression;
    }

    /// <summary>An expression shape: makes the expression's value from its operators for a launch.</summary>
    public abstract class Plan
    {
        /// <summary>Runs <paramref name="launch"/> on the expression of these operators (prefix order).</summary>
        public abstract void Run<TLaunch>(in TLaunch launch, OperatorList operators, FusedNode[] inputs)
            where TLaunch : struct, ILaunch;
    }

    /// <summary>Number of expression shapes made so far (each once per process).</summary>
    public static int Count => Plans.Count;

    /// <summary>A small id for an operator type, stable for the process.</summary>
    public static int OperatorId(Type type) => Ids.GetOrAdd(type, static t =>
    {
        lock (Types)
        {
            int id = Types.Count;
            Types[id] = t;
            return id;
        }
    });

    /// <summary>The launcher of the expression shape <paramref name="signature"/>.</summary>
    public static Plan For(ReadOnlySpan<int> signature)
    {
        if (PlansBySpan.TryGetValue(signature, out var plan))
            return plan;
        return Plans.GetOrAdd(signature.ToArray(), static k =>
        {
            int at = 0;
            var type = ExpressionType(k, ref at);
            return (Plan)Activator.CreateInstance(typeof(ExpressionPlan<>).MakeGenericType(type))!;
        });
    }

    /// <summary>The expression type of the signature from <paramref name="at"/> on.</summary>
    private static Type ExpressionType(int[] signature, ref int at)
    {
        int code = signature[at++];
        switch (code)
        {
            case InputCode:
                return typeof(Arg<>).MakeGenericType(Slots.Types[signature[at++]]);
            case BroadcastCode:
            {
                var slot = Slots.Types[signature[at++]];
                var run = signature[at++] == 0 ? typeof(Runs.Repeated) : typeof(Runs.Contiguous);
                return typeof(BroadcastArg<,>).MakeGenericType(slot, run);
            }
            case ConstantCode:
                return typeof(Constant);
            case UnaryCode:
            {
                var op = Types[signature[at++]];
                return typeof(Unary<,>).MakeGenericType(op, ExpressionType(signature, ref at));
            }
            default:
            {
                var op = Types[signature[at++]];
                var a = ExpressionType(signature, ref at);
                return typeof(Binary<,,>).MakeGenericType(op, a, ExpressionType(signature, ref at));
            }
        }
    }

    /// <summary>The plan of one expression type.</summary>
    private sealed class ExpressionPlan<TExpr> : Plan
        where TExpr : struct, IExpression, IExpressionFactory<TExpr>
    {
        public override void Run<TLaunch>(in TLaunch launch, OperatorList operators, FusedNode[] inputs) =>
            launch.Run(TExpr.Create(operators), inputs);
    }

    /// <summary>Signatures compared element by element.</summary>
    private sealed class SignatureComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj) => GetHashCode((ReadOnlySpan<int>)obj);

        public bool Equals(ReadOnlySpan<int> alternate, int[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<int> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(alternate));
            return hash.ToHashCode();
        }

        public int[] Create(ReadOnlySpan<int> alternate) => alternate.ToArray();
    }
}
