using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;

namespace AutoDiff.Gpu;

/// <summary>
/// The one place where tensors meet kernels: checks operands (disposed, device, element type, shapes), makes the
/// output, dispatches on the element type, and launches under the device's launch lock. Each kernel family of
/// <see cref="KernelLibrary"/> has one entry here; functions call these and never touch views or element types.
/// </summary>
internal static partial class Launch
{
    /// <summary>y = op(x), elementwise.</summary>
    public static Tensor Map<TOp>(Tensor x, TOp op = default)
        where TOp : struct, IUnaryOperator
    {
        x.ThrowIfDisposed();
        if (Fuser.Fuses(x, x, x.Shape))
            return Fuser.Map(x, op);
        var y = x.Device.Empty(x.Shape, x.DType);
        Run(x.Device, x.DType, new MapBody<TOp>(x, y, op));
        GC.KeepAlive(x);
        return y;
    }

    /// <summary>y = op(a, b), elementwise, with NumPy broadcasting; y lives on a's device.</summary>
    public static Tensor Zip<TOp>(string name, Tensor a, Tensor b, TOp op = default)
        where TOp : struct, IBinaryOperator
    {
        CheckCompatible(name, a, b);
        var shape = BroadcastShape(name, a.Shape, b.Shape);
        if (Fuser.Fuses(a, b, shape) && Fuser.Zip(a, b, op, shape) is { } pending)
            return pending;
        var y = a.Device.Empty(shape, a.DType);
        Run(a.Device, a.DType, new ZipBody<TOp>(a, b, y, op));
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return y;
    }

    /// <summary>y = op(y, b) in place, b broadcast to y's shape (optimizer updates).</summary>
    public static void ZipInto<TOp>(string name, Tensor y, Tensor b, TOp op = default)
        where TOp : struct, IBinaryOperator
    {
        CheckCompatible(name, y, b);
        if (!b.Shape.BroadcastsTo(y.Shape))
            throw new ArgumentException($"{name}: a {b.Shape} operand does not broadcast to the {y.Shape} it updates in place");
        y.BeforeWrite();
        Run(y.Device, y.DType, new ZipBody<TOp>(y, b, y, op));
        GC.KeepAlive(b);
    }

    /// <summary>A new tensor with every element <paramref name="value"/>, filled now.</summary>
    public static Tensor Full(Device device, Shape shape, DType dtype, double value)
    {
        var y = device.Empty(shape, dtype);
        Run(device, dtype, new FillBody(y, value));
        return y;
    }

    /// <summary>
    /// A tensor of <paramref name="value"/> that an expression consumes (the ones that start a backward pass): pending,
    /// so never written, while fusion is on and it has at least <see cref="Device.FusionMinElements"/> elements; else
    /// <see cref="Full"/>.
    /// </summary>
    public static Tensor Constant(Device device, Shape shape, DType dtype, double value) =>
        Config.Fusion && shape.Length >= device.FusionMinElements
            ? Fuser.Full(device, shape, dtype, value)
            : Full(device, shape, dtype, value);

    /// <summary>y = expr(inputs) elementwise, one kernel: a pending tensor's expression (see <see cref="Fuser"/>).</summary>
    public static void Fused<TExpr>(Device device, DType dtype, TExpr expr, FusedNode[] inputs, Storage y, long length)
        where TExpr : struct, IExpression =>
        Run(device, dtype, new FusedBody<TExpr>(expr, inputs, y, length));

    /// <summary>y = post(⊕ expr(inputs)) over the middle axis of (outer, n, inner): see <see cref="Fuser"/>.</summary>
    public static void FusedReduce<TExpr, TReduce, TPost>(
        Device device, DType dtype, TExpr expr, FusedNode[] inputs, Tensor y, long outer, long n, long inner,
        TPost post)
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator =>
        Run(device, dtype, new FusedReduceBody<TExpr, TReduce, TPost>(expr, inputs, y, outer, n, inner, post));

    /// <summary>Throws a clear error unless both tensors are usable, on one accelerator, of one element type.</summary>
    public static void CheckCompatible(string name, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        if (!a.Device.SharesAcceleratorWith(b.Device))
            throw new ArgumentException($"{name}: operands live on different devices ({a.Device.Id} and {b.Device.Id}); copy one with Tensor.To(device) first");
        if (a.DType != b.DType)
            throw new ArgumentException($"{name}: element types differ ({a.DType.Name()} and {b.DType.Name()}); convert one with Tensor.To(dtype) first");
    }

    /// <summary>The shape two operands broadcast to; the error names the function and both shapes.</summary>
    public static Shape BroadcastShape(string name, Shape a, Shape b)
    {
        try
        {
            return Shape.Broadcast(a, b);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{name}: {e.Message}", e);
        }
    }

    /// <summary>Runs <paramref name="body"/> for the element type under the device's launch lock.</summary>
    private static void Run<TBody>(Device device, DType dtype, TBody body)
        where TBody : struct, IBody
    {
        using (device.EnterLaunch())
        {
            if (dtype == DType.Float32)
                body.Run<float>(device.Kernels);
            else
                body.Run<double>(device.Kernels);
        }
    }

    /// <summary>One launch, written once for both element types.</summary>
    private interface IBody
    {
        void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>;
    }

    private readonly struct MapBody<TOp>(Tensor x, Tensor y, TOp op) : IBody
        where TOp : struct, IUnaryOperator
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            kernels.Map(x.View<T>(), y.View<T>(), op);
    }

    private readonly struct ZipBody<TOp>(Tensor a, Tensor b, Tensor y, TOp op) : IBody
        where TOp : struct, IBinaryOperator
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (a.Shape.Equals(y.Shape) && b.Shape.Equals(y.Shape))
            {
                kernels.Zip(a.View<T>(), b.View<T>(), y.View<T>(), op);
                return;
            }
            var shape = y.Shape;
            kernels.Zip(
                shape.Dimensions,
                new Strided<T>(a.View<T>(), a.Shape.BroadcastStrides(shape)),
                new Strided<T>(b.View<T>(), b.Shape.BroadcastStrides(shape)),
                y.View<T>(),
                op);
        }
    }

    private readonly struct FusedBody<TExpr>(TExpr expr, FusedNode[] inputs, Storage y, long length) : IBody
        where TExpr : struct, IExpression
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var views = InputViews<T>(inputs, length, out var indices);
            kernels.Fused(views, indices, View<T>(y, length), expr);
        }
    }

    private readonly struct FusedReduceBody<TExpr, TReduce, TPost>(
        TExpr expr, FusedNode[] inputs, Tensor y, long outer, long n, long inner, TPost post) : IBody
        where TExpr : struct, IExpression
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var views = InputViews<T>(inputs, outer * n * inner, out var indices);
            kernels.FusedReduce<T, TExpr, TReduce, TPost>(views, indices, y.View<T>(), outer, n, inner, expr, post);
        }
    }

    /// <summary>The views of an expression's inputs for <paramref name="length"/> elements, and indices.</summary>
    private static ArrayView<T>[] InputViews<T>(FusedNode[] inputs, long length, out BroadcastIndex[] indices)
        where T : unmanaged
    {
        var views = new ArrayView<T>[inputs.Length];
        indices = new BroadcastIndex[inputs.Length];
        for (int k = 0; k < views.Length; k++)
        {
            // A broadcast input is read up to its index's last offset: all of its elements.
            var index = inputs[k].Index;
            indices[k] = index ?? default;
            views[k] = View<T>(inputs[k].Input!, index is { } b ? b.MaxOffset(length) + 1 : length);
        }
        return views;
    }

    private static ArrayView<T> View<T>(Storage storage, long elements)
        where T : unmanaged
    {
        if (storage.Block is not { } block)
        {
            // A disposed device frees every block: say so, as every other use of its tensors does.
            storage.Device.ThrowIfDisposed();
            throw new InvalidOperationException(
                "a fused expression's input was freed before the expression was computed");
        }
        return block.View<T>(elements * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
    }

    private readonly struct FillBody(Tensor y, double value) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            kernels.Fill(y.View<T>(), Scalar.To<T>(value));
    }
}
