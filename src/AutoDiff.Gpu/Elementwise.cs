using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu;

/// <summary>Tensor-level launches of the elementwise kernels, with the checks every operation shares.</summary>
internal static class Elementwise
{
    /// <summary>y = TOp(x), a new tensor.</summary>
    public static Tensor Map<TOp>(Tensor x)
        where TOp : struct, IUnaryOperator
    {
        x.ThrowIfDisposed();
        var y = x.Device.Empty(x.Shape, x.DType);
        using (x.Device.EnterLaunch())
        {
            if (x.DType == DType.Float32)
                x.Device.Kernels.Map<float, TOp>(x.View<float>(), y.View<float>());
            else
                x.Device.Kernels.Map<double, TOp>(x.View<double>(), y.View<double>());
        }
        GC.KeepAlive(x);
        return y;
    }

    /// <summary>y = TOp(a, b), a new tensor; a and b must agree in device, element type and shape.</summary>
    public static Tensor Zip<TOp>(string op, Tensor a, Tensor b)
        where TOp : struct, IBinaryOperator
    {
        CheckSame(op, a, b);
        var y = a.Device.Empty(a.Shape, a.DType);
        using (a.Device.EnterLaunch())
        {
            if (a.DType == DType.Float32)
                a.Device.Kernels.Zip<float, TOp>(a.View<float>(), b.View<float>(), y.View<float>());
            else
                a.Device.Kernels.Zip<double, TOp>(a.View<double>(), b.View<double>(), y.View<double>());
        }
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return y;
    }

    /// <summary>a + b into a new tensor (gradient accumulation).</summary>
    public static Tensor Add(Tensor a, Tensor b) => Zip<AddOperator>("Add", a, b);

    /// <summary>Throws a clear error unless both tensors are usable and agree in device, element type and shape.</summary>
    public static void CheckSame(string op, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        if (!a.Device.SharesAcceleratorWith(b.Device))
            throw new ArgumentException($"{op}: operands live on different devices ({a.Device.Id} and {b.Device.Id}); copy one with Tensor.To(device) first");
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: element types differ ({a.DType.Name()} and {b.DType.Name()}); convert one with Tensor.To(dtype) first");
        if (!a.Shape.Equals(b.Shape))
            throw new ArgumentException($"{op}: shapes differ ({a.Shape} and {b.Shape}); broadcasting is not supported, the shapes must be equal");
    }
}
