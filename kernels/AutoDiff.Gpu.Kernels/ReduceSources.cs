using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Where a chunked reduction reads its elements: memory, or a fused expression evaluated a few rows at a time into a
/// thread's buffer of <see cref="CpuRoutines.SourceBuffer"/> elements, so that the intermediate is never written.
/// Element i is element i of the reduced tensor's flat order.
/// </summary>
internal unsafe interface IReduceSource<T>
    where T : unmanaged
{
    /// <summary>Whether reads go through the thread's buffer (else the buffer is null).</summary>
    static abstract bool Buffered { get; }

    /// <summary>Elements [offset, offset + count), contiguous; count ≤ the buffer.</summary>
    T* Read(T* buffer, long offset, int count);

    /// <summary>
    /// <paramref name="rows"/> runs of <paramref name="width"/> elements, the first at <paramref name="offset"/> and
    /// each <paramref name="stride"/> after the last; returns the first and the step between them where they are.
    /// </summary>
    T* Rows(T* buffer, long offset, int width, int rows, long stride, out long step);
}

/// <summary>Elements in memory, read in place.</summary>
internal readonly unsafe struct MemorySource<T>(Address<T> x) : IReduceSource<T>
    where T : unmanaged
{
    public static bool Buffered => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T* Read(T* buffer, long offset, int count) => (T*)x + offset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T* Rows(T* buffer, long offset, int width, int rows, long stride, out long step)
    {
        step = stride;
        return (T*)x + offset;
    }
}

/// <summary>A fused expression's elements, evaluated into the buffer as the elementwise kernel computes them.</summary>
internal readonly unsafe struct ExpressionSource<T, TExpr>(FusedBody<T, TExpr> body) : IReduceSource<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TExpr : struct, IExpression
{
    public static bool Buffered => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T* Read(T* buffer, long offset, int count)
    {
        body.Write(buffer, offset, count);
        return buffer;
    }

    public T* Rows(T* buffer, long offset, int width, int rows, long stride, out long step)
    {
        for (int r = 0; r < rows; r++)
            body.Write(buffer + ((long)r * width), offset + (r * stride), width);
        step = width;
        return buffer;
    }
}
