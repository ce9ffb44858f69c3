using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;

namespace AutoDiff.Gpu;

/// <summary>
/// The one place where tensors meet kernels: checks operands (disposed, device, element type, shapes), makes the
/// output, dispatches on the element type, and launches under the device's launch lock. Each kernel family of
/// <see cref="KernelLibrary"/> has one entry here; functions call these and never touch views or element types.
/// </summary>
internal static class Launch
{
    /// <summary>y = op(x), elementwise.</summary>
    public static Tensor Map<TOp>(Tensor x, TOp op = default)
        where TOp : struct, IUnaryOperator
    {
        x.ThrowIfDisposed();
        if (Config.Fusion)
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
        if (Config.Fusion && a.Shape.Equals(b.Shape))
            return Fuser.Zip(a, b, op);
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

    /// <summary>
    /// y = ⊕ over <paramref name="axes"/> of x (every axis when empty), then post(y); the reduced axes are kept
    /// as size 1 with <paramref name="keepDims"/>. Runs of adjacent axes reduce in one launch.
    /// </summary>
    public static Tensor Reduce<TReduce, TPost>(Tensor x, ReadOnlySpan<int> axes, bool keepDims, TPost post = default)
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        x.ThrowIfDisposed();
        var dims = x.Shape.ToArray();
        var reduced = new bool[dims.Length];
        if (axes.IsEmpty)
            Array.Fill(reduced, true);
        foreach (int axis in axes)
        {
            int a = x.Shape.Axis(axis);
            if (reduced[a] && !axes.IsEmpty)
                throw new ArgumentException($"axis {axis} is repeated in ({string.Join(", ", axes.ToArray())}) for shape {x.Shape}", nameof(axes));
            reduced[a] = true;
        }

        // Reduce runs of adjacent axes from the last run to the first, each as (outer, n, inner); the post
        // operation goes with the last launch.
        var current = x;
        var shape = (int[])dims.Clone();
        int end = dims.Length;
        var runs = new List<(int Start, int End)>();
        while (end > 0)
        {
            while (end > 0 && !reduced[end - 1])
                end--;
            int start = end;
            while (start > 0 && reduced[start - 1])
                start--;
            if (start < end)
                runs.Add((start, end));
            end = start;
        }
        for (int r = 0; r < runs.Count; r++)
        {
            var (start, stop) = runs[r];
            var (outer, n, inner) = Around(shape, start, stop);
            Array.Fill(shape, 1, start, stop - start);
            var y = x.Device.Empty(new Shape(shape), x.DType);
            bool last = r == runs.Count - 1;
            Run(x.Device, x.DType, new ReduceBody<TReduce, TPost>(current, y, outer, n, inner, post, last));
            GC.KeepAlive(current);
            // Launches run in order: a later one that reuses this block comes after the one reading it.
            if (!ReferenceEquals(current, x))
                current.Dispose();
            current = y;
        }
        if (runs.Count == 0)
            current = Map(x, post);
        var keptShape = new Shape(shape);
        var finalShape = keepDims ? keptShape : new Shape(dims.Where((_, i) => !reduced[i]).ToArray());
        return Reshaped(current, finalShape);
    }

    /// <summary>
    /// <paramref name="t"/>, a tensor this layer just made, as <paramref name="shape"/>: a view that becomes the
    /// only user of the data, so that disposing the view frees it at once.
    /// </summary>
    public static Tensor Reshaped(Tensor t, Shape shape)
    {
        if (shape.Equals(t.Shape))
            return t;
        var view = t.ViewAs(shape);
        t.Dispose();
        return view;
    }

    /// <summary>
    /// A new contiguous tensor of <paramref name="shape"/> whose element i is x's element at
    /// <paramref name="offset"/> + Σ index·<paramref name="strides"/> (strides in elements, 0 to broadcast):
    /// transposes, materialized broadcasts and slices.
    /// </summary>
    public static Tensor Gather(Tensor x, Shape shape, long[] strides, long offset = 0) =>
        Gather(x, shape, strides, offset, default(IdentityOperator));

    /// <summary>
    /// op of <see cref="Gather(Tensor, Shape, long[], long)"/> in the same launch: element i of the new tensor is
    /// op(x[offset + Σ index·strides]) (a broadcast and a scale: the backward of a mean).
    /// </summary>
    public static Tensor Gather<TOp>(Tensor x, Shape shape, long[] strides, long offset, TOp op)
        where TOp : struct, IUnaryOperator
    {
        x.ThrowIfDisposed();
        var y = x.Device.Empty(shape, x.DType);
        Run(x.Device, x.DType, new CopyBody<TOp>(x, offset, strides, y, 0, [], op));
        GC.KeepAlive(x);
        return y;
    }

    /// <summary>
    /// The adjoint of <see cref="Gather"/> for strides that never repeat an element: a new tensor of
    /// <paramref name="shape"/>, zero except where g's elements land (slice backward, transpose backward).
    /// </summary>
    public static Tensor Scatter(Tensor g, Shape shape, long[] strides, long offset = 0)
    {
        g.ThrowIfDisposed();
        var y = g.Device.Zeros(shape, g.DType);
        Run(g.Device, g.DType, new CopyBody<IdentityOperator>(g, 0, [], y, offset, strides, default, g.Shape));
        GC.KeepAlive(g);
        return y;
    }

    /// <summary>
    /// Gathers along the middle axis of x viewed as (outer, n, inner): a new tensor of <paramref name="shape"/>
    /// (outer·count·inner elements) with <c>y[o, j, r] = x[o, indices[j], r]</c>, or with
    /// <paramref name="perSlice"/> one index per outer slice, <c>y[o, r] = x[o, indices[o], r]</c>
    /// (<c>x[arange(N), t]</c>). The indices must already be in range.
    /// </summary>
    public static Tensor Take(Tensor x, IndexBuffer indices, Shape shape, long outer, long n, long inner, bool perSlice)
    {
        CheckIndices(x, indices);
        var y = x.Device.Empty(shape, x.DType);
        Run(x.Device, x.DType, new IndexBody(x, indices, y, outer, n, inner, perSlice, Scatter: false));
        GC.KeepAlive(x);
        GC.KeepAlive(indices);
        return y;
    }

    /// <summary>
    /// The adjoint of <see cref="Take"/> (same geometry): a new tensor of <paramref name="shape"/> (x's), zero
    /// except that each element of g is added where <see cref="Take"/> read it; repeated indices accumulate.
    /// </summary>
    public static Tensor ScatterAdd(Tensor g, IndexBuffer indices, Shape shape, long outer, long n, long inner, bool perSlice)
    {
        CheckIndices(g, indices);
        var x = g.Device.Zeros(shape, g.DType);
        ScatterAddInto(x, indices, g, outer, n, inner, perSlice);
        return x;
    }

    /// <summary>
    /// <see cref="ScatterAdd"/> into an existing tensor x, in place: each element of g is added to x where
    /// <see cref="Take"/> would read it (a one-hot subtracted from a softmax, for instance).
    /// </summary>
    public static void ScatterAddInto(Tensor x, IndexBuffer indices, Tensor g, long outer, long n, long inner, bool perSlice)
    {
        CheckCompatible(nameof(ScatterAddInto), x, g);
        CheckIndices(g, indices);
        x.BeforeWrite();
        Run(g.Device, g.DType, new IndexBody(x, indices, g, outer, n, inner, perSlice, Scatter: true));
        GC.KeepAlive(g);
        GC.KeepAlive(indices);
    }

    /// <summary>
    /// C = op(A)·op(B) for 2-D A and B (transposed in the kernel, never in memory), plus
    /// <paramref name="bias"/> broadcast to C's shape when given (copied into C, which the product then adds to:
    /// no intermediate tensor).
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
        var c = a.Device.Empty(shape, a.DType);
        Run(a.Device, a.DType, new MatMulBody(a, b, c, m, n, k, transposeA, transposeB, bias));
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(bias);
        return c;
    }

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

    private static void CheckIndices(Tensor x, IndexBuffer indices)
    {
        x.ThrowIfDisposed();
        if (!x.Device.SharesAcceleratorWith(indices.Device))
            throw new ArgumentException($"indices on {indices.Device.Id} cannot index a tensor on {x.Device.Id}");
    }

    /// <summary>A new tensor with every element <paramref name="value"/>, filled now.</summary>
    public static Tensor Full(Device device, Shape shape, DType dtype, double value)
    {
        var y = device.Empty(shape, dtype);
        Run(device, dtype, new FillBody(y, value));
        return y;
    }

    /// <summary>
    /// A tensor of <paramref name="value"/> that an expression consumes (the ones that start a backward pass): pending
    /// while fusion is on, so that it is never written; else <see cref="Full"/>.
    /// </summary>
    public static Tensor Constant(Device device, Shape shape, DType dtype, double value) =>
        Config.Fusion ? Fuser.Full(device, shape, dtype, value) : Full(device, shape, dtype, value);

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

    /// <summary>
    /// The positions of the greatest (or least) elements of x along <paramref name="axis"/> (over all elements when
    /// null), in the row-major order of the other axes, read back to the host.
    /// </summary>
    public static int[] ArgReduce(string name, Tensor x, int? axis, bool minimum)
    {
        var indices = ArgReduceOnDevice(name, x, axis, minimum);
        var result = indices.ToArray();
        indices.Release();
        return result;
    }

    /// <summary>The positions of <see cref="ArgReduce"/>, left on the device (for a gather by them).</summary>
    public static IndexBuffer ArgReduceOnDevice(string name, Tensor x, int? axis, bool minimum)
    {
        x.ThrowIfDisposed();
        var (outer, n, inner) = AroundAxis(name, x.Shape, axis);
        if (n == 0 && outer * inner > 0)
            throw new ArgumentException($"{name}: axis {(axis is null ? "of all elements" : axis.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))} of shape {x.Shape} is empty, so no element is {(minimum ? "least" : "greatest")}");
        if (outer * inner > int.MaxValue)
            throw new ArgumentException($"{name}: {outer * inner:N0} positions of shape {x.Shape} do not fit a host array");
        var indices = new IndexBuffer(x.Device, (int)(outer * inner));
        Run(x.Device, x.DType, new ArgReduceBody(x, indices, null, null, outer, n, inner, minimum));
        GC.KeepAlive(x);
        return indices;
    }

    /// <summary>hits[o, r] = 1 where the argmax of x along <paramref name="axis"/> is labels[o, r], else 0: a new tensor of the other axes' shape, in x's element type.</summary>
    public static Tensor ArgMaxHits(string name, Tensor x, int axis, IndexBuffer labels)
    {
        CheckIndices(x, labels);
        var (outer, n, inner) = AroundAxis(name, x.Shape, axis);
        var dims = x.Shape.ToArray();
        var hits = x.Device.Empty(new Shape([.. dims[..axis], .. dims[(axis + 1)..]]), x.DType);
        Run(x.Device, x.DType, new ArgReduceBody(x, null, hits, labels, outer, n, inner, Minimum: false));
        GC.KeepAlive(x);
        GC.KeepAlive(labels);
        return hits;
    }

    /// <summary>x viewed as (outer, n, inner) around <paramref name="axis"/> (all elements as one line when null); the error names the function, the axis and the shape.</summary>
    private static (long Outer, long N, long Inner) AroundAxis(string name, Shape shape, int? axis)
    {
        if (axis is null)
            return (1, shape.Length, 1);
        int a = Functions.Softmax.CheckAxis(name, shape, axis.Value);
        return Around(shape.Dimensions, a, a + 1);
    }

    /// <summary>A tensor of <paramref name="dims"/> viewed as (outer, n, inner) with n the axes [start, stop) merged.</summary>
    private static (long Outer, long N, long Inner) Around(ReadOnlySpan<int> dims, int start, int stop)
    {
        long outer = 1, n = 1, inner = 1;
        for (int i = 0; i < start; i++)
            outer *= dims[i];
        for (int i = start; i < stop; i++)
            n *= dims[i];
        for (int i = stop; i < dims.Length; i++)
            inner *= dims[i];
        return (outer, n, inner);
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

    private readonly struct ReduceBody<TReduce, TPost>(Tensor x, Tensor y, long outer, long n, long inner, TPost post, bool withPost) : IBody
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (withPost)
                kernels.Reduce<T, TReduce, TPost>(x.View<T>(), y.View<T>(), outer, n, inner, post);
            else
                kernels.Reduce<T, TReduce>(x.View<T>(), y.View<T>(), outer, n, inner);
        }
    }

    /// <summary>y[yOffset + Σ i·yStrides] = op(x[xOffset + Σ i·xStrides]) over every index of the launch's shape (y's, or <paramref name="launchShape"/>).</summary>
    private readonly struct CopyBody<TOp>(Tensor x, long xOffset, long[] xStrides, Tensor y, long yOffset, long[] yStrides, TOp op, Shape? launchShape = null) : IBody
        where TOp : struct, IUnaryOperator
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // Nothing to copy; the offsets of an empty slice may lie past the end of its (empty) operand.
            if ((launchShape ?? y.Shape).Length == 0)
                return;
            var xv = x.View<T>();
            var yv = y.View<T>();
            kernels.Map(
                (launchShape ?? y.Shape).Dimensions,
                new Strided<T>(xv.SubView(xOffset, xv.Length - xOffset), xStrides),
                new Strided<T>(yv.SubView(yOffset, yv.Length - yOffset), yStrides),
                op);
        }
    }

    /// <summary>Gather from x into y, or (<paramref name="Scatter"/>) scatter-add y into x, by an index array.</summary>
    private readonly record struct IndexBody(Tensor X, IndexBuffer Indices, Tensor Y, long Outer, long N, long Inner, bool PerSlice, bool Scatter) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Scatter)
                kernels.ScatterAdd(Y.View<T>(), Indices.View, X.View<T>(), Outer, N, Inner, PerSlice);
            else
                kernels.Gather(X.View<T>(), Indices.View, Y.View<T>(), Outer, N, Inner, PerSlice);
        }
    }

    private readonly struct FillBody(Tensor y, double value) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            kernels.Fill(y.View<T>(), Scalar.To<T>(value));
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

    /// <summary>Positions into <paramref name="Indices"/>, or hits against <paramref name="Labels"/> into <paramref name="Hits"/>.</summary>
    private readonly record struct ArgReduceBody(Tensor X, IndexBuffer? Indices, Tensor? Hits, IndexBuffer? Labels, long Outer, long N, long Inner, bool Minimum) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Labels is not null)
                kernels.ArgMaxHits(X.View<T>(), Labels.View, Hits!.View<T>(), Outer, N, Inner);
            else
                kernels.ArgReduce(X.View<T>(), Indices!.View, Outer, N, Inner, Minimum);
        }
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
}
