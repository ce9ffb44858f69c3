using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;

namespace AutoDiff.Gpu;

// Reductions along axes and arg-reductions.
internal static partial class Launch
{
    /// <summary>
    /// y = ⊕ over <paramref name="axes"/> of x (every axis when empty), then post(y); the reduced axes are kept
    /// as size 1 with <paramref name="keepDims"/>. Runs of adjacent axes reduce in one launch; a pending x is
    /// evaluated by the first of them, never written.
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
            if (r == 0 && x.Pending is { } node)
            {
                // A pending x is evaluated inside the reduction: it is never written.
                if (last)
                    Fuser.Reduce<TReduce, TPost>(node, y, outer, n, inner, x.DType, post);
                else
                    Fuser.Reduce<TReduce, IdentityOperator>(node, y, outer, n, inner, x.DType, default);
            }
            else
            {
                Run(x.Device, x.DType, new ReduceBody<TReduce, TPost>(current, y, outer, n, inner, post, last));
            }
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
}
