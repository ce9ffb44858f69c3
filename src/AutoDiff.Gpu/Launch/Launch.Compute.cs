using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;

namespace AutoDiff.Gpu;

// Matrix products, optimizer updates and random numbers.
internal static partial class Launch
{
    /// <summary>The matrix product the device runs (see <see cref="Device.MatMulImplementation"/>).</summary>
    public static MatMulImplementation MatMulImplementation(Device device) => device.Kernels.MatMulImplementation;

    /// <summary>Whether the tiled product uses float64 matrix units (see <see cref="Device.Float64TensorCores"/>).</summary>
    public static bool Float64TensorCores(Device device) => device.Kernels.Float64TensorCores;

    /// <summary>Why cuBLAS is not in use (see <see cref="Device.CuBlasUnavailableReason"/>).</summary>
    public static string? CuBlasUnavailableReason(Device device) => device.Kernels.CuBlasUnavailableReason;

    /// <summary>Launches so far on the device's accelerator.</summary>
    public static long Count(Device device) => device.Kernels.Launches;

    /// <summary>Kernels compiled for the device's accelerator, plus fused expression shapes made in the process.</summary>
    public static long Compilations(Device device) => device.Kernels.CompiledCount + FusedPlans.Count;

    /// <summary>
    /// C = op(A)·op(B) for 2-D A and B (transposed in the kernel, never in memory), plus
    /// <paramref name="bias"/> broadcast to C's shape when given: pending while fusion takes the sum (an activation
    /// that follows reads the product once), else copied into C, which the product then adds to. Both give
    /// product + bias, rounded once.
    /// </summary>
    public static Tensor MatMul(string name, Tensor a, Tensor b, bool transposeA = false, bool transposeB = false, Tensor? bias = null)
    {
        CheckCompatible(name, a, b);
        if (a.Rank != 2 || b.Rank != 2)
            throw new ArgumentException($"{name}: operands must be matrices (2-D), got {a.Shape} and {b.Shape}");
        int m = transposeA ? a.Shape[1] : a.Shape[0];
        int k = transposeA ? a.Shape[0] : a.Shape[1];
        int kb = transposeB ? b.Shape[1] : b.Shape[0];
        int n = transposeB ? b.Shape[0] : b.Shape[1];
        if (k != kb)
            throw new ArgumentException($"{name}: inner dimensions differ: {a.Shape}{(transposeA ? "ᵀ" : string.Empty)} · {b.Shape}{(transposeB ? "ᵀ" : string.Empty)} needs {k} = {kb}");
        var shape = new Shape(m, n);
        if (bias is not null)
        {
            CheckCompatible(name, a, bias);
            if (!bias.Shape.BroadcastsTo(shape))
                throw new ArgumentException($"{name}: a bias {bias.Shape} does not broadcast to the product's {shape} ({a.Shape}{(transposeA ? "ᵀ" : string.Empty)} · {b.Shape}{(transposeB ? "ᵀ" : string.Empty)})");
        }
        if (bias is not null && Fuser.Fuses(bias, bias, shape))
        {
            var product = MatMul(name, a, b, transposeA, transposeB);
            if (Fuser.Zip(product, bias, default(PlusOperator), shape) is { } sum)
                return sum;
            ZipInto(name, product, bias, default(PlusOperator));
            return product;
        }
        var c = a.Device.Empty(shape, a.DType);
        Run(a.Device, a.DType, new MatMulBody(a, b, c, m, n, k, transposeA, transposeB, bias));
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(bias);
        return c;
    }

    /// <summary>
    /// An optimizer's step in place: <c>(p, s1, s2) = rule(p, g, s1, s2)</c> elementwise, g and the states of p's
    /// shape (the states the rule does not keep may be null).
    /// </summary>
    public static void Update<TRule>(string name, Tensor p, Tensor g, Tensor? s1, Tensor? s2, TRule rule)
        where TRule : struct, IUpdateRule
    {
        CheckCompatible(name, p, g);
        if (!g.Shape.Equals(p.Shape))
            throw new ArgumentException($"{name}: the gradient {g.Shape} does not match its parameter {p.Shape}");
        p.BeforeWrite();
        s1?.BeforeWrite();
        s2?.BeforeWrite();
        Run(p.Device, p.DType, new UpdateBody<TRule>(p, g, s1, s2, rule));
        GC.KeepAlive(g);
    }

    /// <summary>A new tensor of the stream's uniform or normal numbers (see <see cref="RandomArguments"/>).</summary>
    public static Tensor Random(Device device, Shape shape, DType dtype, RandomArguments arguments)
    {
        var y = device.Empty(shape, dtype);
        Run(device, dtype, new RandomBody(y, y, arguments));
        return y;
    }

    /// <summary>y = x·(kept ? scale : 0), the elements kept chosen by the stream (see <see cref="RandomArguments"/>).</summary>
    public static Tensor Dropout(Tensor x, RandomArguments arguments)
    {
        x.ThrowIfDisposed();
        var y = x.Device.Empty(x.Shape, x.DType);
        Run(x.Device, x.DType, new RandomBody(x, y, arguments));
        GC.KeepAlive(x);
        return y;
    }

    private readonly struct UpdateBody<TRule>(Tensor p, Tensor g, Tensor? s1, Tensor? s2, TRule rule) : IBody
        where TRule : struct, IUpdateRule
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            kernels.Update(p.View<T>(), g.View<T>(), s1 is null ? default : s1.View<T>(), s2 is null ? default : s2.View<T>(), rule);
    }

    private readonly struct MatMulBody(Tensor a, Tensor b, Tensor c, int m, int n, int k, bool transposeA, bool transposeB, Tensor? bias) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (bias is not null)
                kernels.Copy(c.Shape.Dimensions, new Strided<T>(bias.View<T>(), bias.Shape.BroadcastStrides(c.Shape)), c.View<T>());
            kernels.MatMul(a.View<T>(), b.View<T>(), c.View<T>(), m, n, k, transposeA, transposeB, beta: bias is null ? 0 : 1);
        }
    }

    private readonly struct RandomBody(Tensor x, Tensor y, RandomArguments arguments) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (arguments.Kind == RandomKind.Dropout)
                kernels.Dropout(x.View<T>(), y.View<T>(), arguments);
            else
                kernels.Random(y.View<T>(), arguments);
        }
    }
}
