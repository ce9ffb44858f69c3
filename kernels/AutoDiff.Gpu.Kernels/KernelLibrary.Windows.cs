using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// Windows of images on the CPU accelerator: im2col and col2im with the offsets computed in the loops.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Launches im2col: <paramref name="col"/> (N·OH·OW, C·KH·KW) gets the windows of the images
    /// <paramref name="x"/> (N, C, H, W) as rows, zero where a window lies in the padding. CPU accelerator
    /// (<see cref="KernelStyle.Chunked"/>) only: GPUs gather by offsets (<see cref="Gather{T}"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    public void Im2col<T>(ArrayView<T> x, ArrayView<T> col, WindowGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckWindows(x, col, g, nameof(Im2col));
        long rows = (long)g.N * g.OH * g.OW;
        RunChunked(new Im2colBody<T>(Pointer(x), Pointer(col), g), rows, ChunkedThreads(rows, g.ColumnLength));
    }

    /// <summary>
    /// Launches col2im, the adjoint of <see cref="Im2col{T}"/>: <paramref name="x"/> (N, C, H, W) gets, at each
    /// element, the sum of the elements of <paramref name="col"/> that im2col would have read from it (its former
    /// content is not read). Each sum is added from 0 in the order of the windows: the bits do not depend on
    /// threads.
    /// CPU accelerator only, as <see cref="Im2col{T}"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    public void Col2im<T>(ArrayView<T> col, ArrayView<T> x, WindowGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckWindows(x, col, g, nameof(Col2im));
        long planes = (long)g.N * g.C;
        RunChunked(new Col2imBody<T>(Pointer(col), Pointer(x), g), planes, ChunkedThreads(planes, g.ColumnLength));
    }

    /// <summary>
    /// Launches the positions of max pooling: <paramref name="indices"/> (N, C, OH, OW) gets, for each window of each
    /// channel of <paramref name="x"/> (N, C, H, W), the offset in x of its first greatest element (row-major in the
    /// window), or of its first NaN; <see cref="int.MaxValue"/> where that is a zero of the padding (a gather reads
    /// 0 there, a scatter adds nothing). CPU accelerator only, as <see cref="Im2col{T}"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    /// <exception cref="ArgumentException">x has more than 2^31 − 1 elements.</exception>
    public void MaxPoolingIndices<T>(ArrayView<T> x, ArrayView<int> indices, WindowGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckGeometry(g, nameof(MaxPoolingIndices));
        if (g.ImageLength > int.MaxValue)
        {
            throw new ArgumentException(
                $"{nameof(MaxPoolingIndices)}: x of {g.ImageLength} elements has offsets past an int", nameof(x));
        }
        CheckLength(x, g.ImageLength, nameof(x));
        CheckLength(indices, (long)g.N * g.C * g.OH * g.OW, nameof(indices));
        Enter();
        long planes = (long)g.N * g.C;
        var body = new MaxPoolingBody<T>(Pointer(x), Pointer(indices), g);
        RunChunked(body, planes, ChunkedThreads(planes, g.ImageLength));
    }

    /// <summary>
    /// Launches average pooling: <paramref name="y"/> (N, C, OH, OW) gets the mean of each window of each channel of
    /// <paramref name="x"/> (N, C, H, W), the zeros of the padding counted: the sum of the elements inside, from 0 in
    /// row-major order, times 1/(KH·KW). CPU accelerator only, as <see cref="Im2col{T}"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    public void AveragePooling<T>(ArrayView<T> x, ArrayView<T> y, WindowGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Pool(x, y, g, adjoint: false, nameof(AveragePooling));

    /// <summary>
    /// Launches the adjoint of <see cref="AveragePooling{T}"/>: <paramref name="gx"/> (N, C, H, W) gets, at each
    /// element, the sum of gy·1/(KH·KW) over the windows that hold it, from 0 in the order of the windows (its former
    /// content is not read). CPU accelerator only, as <see cref="Im2col{T}"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    public void AveragePoolingGradient<T>(ArrayView<T> gy, ArrayView<T> gx, WindowGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Pool(gx, gy, g, adjoint: true, nameof(AveragePoolingGradient));

    private void Pool<T>(ArrayView<T> x, ArrayView<T> y, WindowGeometry g, bool adjoint, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckGeometry(g, name);
        CheckLength(x, g.ImageLength, nameof(x));
        CheckLength(y, (long)g.N * g.C * g.OH * g.OW, nameof(y));
        Enter();
        long planes = (long)g.N * g.C;
        var body = new AveragePoolingBody<T>(Pointer(x), Pointer(y), g, adjoint);
        RunChunked(body, planes, ChunkedThreads(planes, g.ImageLength));
    }

    private void CheckWindows<T>(ArrayView<T> x, ArrayView<T> col, WindowGeometry g, string name)
        where T : unmanaged
    {
        CheckGeometry(g, name);
        CheckLength(x, g.ImageLength, nameof(x));
        CheckLength(col, g.ColumnLength, nameof(col));
        Enter();
    }

    /// <summary>Refuses backends without window kernels, and geometries without windows.</summary>
    private void CheckGeometry(WindowGeometry g, string name)
    {
        if (!backend.HasWindowKernels)
        {
            throw new NotSupportedException(
                $"{name} runs on the CPU accelerator's backend, not the {style} one: gather by offsets instead");
        }
        bool sizes = g.N >= 0 && g.C >= 0 && g.H >= 1 && g.W >= 1 && g.KH >= 1 && g.KW >= 1 && g.SH >= 1 && g.SW >= 1;
        if (!sizes || g.PH < 0 || g.PW < 0 || g.H + (2 * g.PH) < g.KH || g.W + (2 * g.PW) < g.KW)
        {
            throw new ArgumentOutOfRangeException(nameof(g), $"{name}: {g} has no windows (sizes and strides positive, "
                + "paddings not negative, kernel within the padded image)");
        }
    }
}
