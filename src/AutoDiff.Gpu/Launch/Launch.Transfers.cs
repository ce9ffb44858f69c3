using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

// Copies between host and device, between tensors and between element types, and waiting for the device.
internal static partial class Launch
{
    /// <summary>
    /// Copies <paramref name="data"/> into <paramref name="y"/>'s elements from <paramref name="offset"/> on.
    /// </summary>
    public static void Upload<T>(Tensor y, ReadOnlySpan<T> data, long offset = 0)
        where T : unmanaged
    {
        if (data.IsEmpty)
            return;
        using (y.Device.EnterLaunch())
            y.View<T>().SubView(offset, data.Length).CopyFromCPU(data);
    }

    /// <summary>Copies <paramref name="data"/> into <paramref name="indices"/> (of the same length).</summary>
    public static void Upload(IndexBuffer indices, ReadOnlySpan<int> data)
    {
        if (data.IsEmpty)
            return;
        using (indices.Device.EnterLaunch())
            indices.View.CopyFromCPU(data);
    }

    /// <summary>
    /// Copies x's elements from <paramref name="offset"/> on into <paramref name="into"/>; waits for the work in
    /// flight.
    /// </summary>
    public static void Download<T>(Tensor x, Span<T> into, long offset = 0)
        where T : unmanaged
    {
        if (into.IsEmpty)
        {
            x.ThrowIfDisposed();
            return;
        }
        using (x.Device.EnterLaunch())
            x.View<T>().SubView(offset, into.Length).CopyToCPU(into);
    }

    /// <summary>Copies the indices into <paramref name="into"/>; waits for the work in flight.</summary>
    public static void Download(IndexBuffer indices, Span<int> into)
    {
        if (into.IsEmpty)
            return;
        using (indices.Device.EnterLaunch())
            indices.View.CopyToCPU(into);
    }

    /// <summary>Copies x into y, a tensor of the same shape and type on a handle of the same accelerator.</summary>
    public static void Copy(Tensor x, Tensor y)
    {
        if (x.Length == 0)
            return;
        using (x.Device.EnterLaunch())
            x.View<byte>().CopyTo(y.View<byte>());
    }

    /// <summary>
    /// Copies <paramref name="count"/> elements of x from element <paramref name="from"/> into y from element
    /// <paramref name="to"/>: device to device, one copy, no kernel (gradients into a flat buffer and back). x and y
    /// have one element type and share an accelerator.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in x or in y.</exception>
    public static void CopyRange(Tensor x, long from, Tensor y, long to, long count)
    {
        CheckCompatible(nameof(CopyRange), x, y);
        if (count < 0 || from < 0 || to < 0 || from > x.Length - count || to > y.Length - count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count),
                $"{nameof(CopyRange)}: {count:N0} elements from element {from:N0} of tensor {x.Shape} to element " +
                $"{to:N0} of tensor {y.Shape} do not fit");
        }
        if (count == 0)
            return;
        y.BeforeWrite();
        long size = x.DType.Size();
        using (x.Device.EnterLaunch())
            x.View<byte>().SubView(from * size, count * size).CopyTo(y.View<byte>().SubView(to * size, count * size));
    }

    /// <summary>y = x converted to y's element type (float32 to float64 or back, rounded to nearest).</summary>
    public static void Convert(Tensor x, Tensor y)
    {
        using (x.Device.EnterLaunch())
        {
            if (y.DType == DType.Float64)
                Conversion.Widen(x.Device.Accelerator, x.View<float>(), y.View<double>());
            else
                Conversion.Narrow(x.Device.Accelerator, x.View<double>(), y.View<float>());
        }
    }

    /// <summary>Waits until every operation launched on the device has finished.</summary>
    public static void Synchronize(Device device)
    {
        using (device.EnterLaunch())
            device.Accelerator.Synchronize();
    }
}
