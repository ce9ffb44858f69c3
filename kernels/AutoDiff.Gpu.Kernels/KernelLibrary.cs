using System.Numerics;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The elementwise kernels of one accelerator, compiled on first use and kept for the accelerator's lifetime
/// (ILGPU's own cache holds kernels weakly). Launches are asynchronous on the accelerator's default stream and
/// laid out for the accelerator (<see cref="KernelStyle"/>). Thread-safe.
/// </summary>
public sealed class KernelLibrary
{
    private const int PackBytes = 16;

    private readonly Accelerator accelerator;
    private readonly KernelStyle style;
    private readonly Lock gate = new();
    private Delegate?[] kernels = new Delegate?[16];

    /// <summary>Creates the (empty) kernel library of <paramref name="accelerator"/>; <paramref name="style"/> overrides the layout (tests run the GPU layout on the CPU accelerator).</summary>
    public KernelLibrary(Accelerator accelerator, KernelStyle style = KernelStyle.Auto)
    {
        this.style = LaunchPlan.Resolve(accelerator, style);
        this.accelerator = accelerator;
    }

    /// <summary>The layout in use.</summary>
    public KernelStyle Style => style;

    /// <summary>Number of kernels compiled so far.</summary>
    public int CompiledCount { get; private set; }

    /// <summary>Launches <c>y[i] = TOp(x[i])</c>; x and y have the same length.</summary>
    public void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y)
        where T : unmanaged, INumber<T>
        where TOp : struct, IUnaryOperator
    {
        if (y.Length == 0)
            return;
        if (style == KernelStyle.Chunked)
        {
            var kernel = Get<MapKey<T, TOp>, Action<KernelConfig, ArrayView<T>, ArrayView<T>, long>>(
                static acc => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, long>(ElementwiseKernels.MapChunked<T, TOp>));
            var plan = LaunchPlan.For(accelerator, y.Length, style);
            kernel(plan.Config, x, y, plan.Chunk);
        }
        else if (typeof(T) == typeof(float) && Aligned(x, y))
        {
            MapPacked<float, Float4, TOp>(x.Cast<float>(), y.Cast<float>());
        }
        else if (typeof(T) == typeof(double) && Aligned(x, y))
        {
            MapPacked<double, Double2, TOp>(x.Cast<double>(), y.Cast<double>());
        }
        else
        {
            MapPacked<T, Single<T>, TOp>(x, y);
        }
    }

    /// <summary>Launches <c>y[i] = TOp(a[i], b[i])</c>; a, b and y have the same length.</summary>
    public void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y)
        where T : unmanaged, INumber<T>
        where TOp : struct, IBinaryOperator
    {
        if (y.Length == 0)
            return;
        if (style == KernelStyle.Chunked)
        {
            var kernel = Get<ZipKey<T, TOp>, Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, long>>(
                static acc => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, long>(ElementwiseKernels.ZipChunked<T, TOp>));
            var plan = LaunchPlan.For(accelerator, y.Length, style);
            kernel(plan.Config, a, b, y, plan.Chunk);
        }
        else if (typeof(T) == typeof(float) && Aligned(a, b) && Aligned(y, y))
        {
            ZipPacked<float, Float4, TOp>(a.Cast<float>(), b.Cast<float>(), y.Cast<float>());
        }
        else if (typeof(T) == typeof(double) && Aligned(a, b) && Aligned(y, y))
        {
            ZipPacked<double, Double2, TOp>(a.Cast<double>(), b.Cast<double>(), y.Cast<double>());
        }
        else
        {
            ZipPacked<T, Single<T>, TOp>(a, b, y);
        }
    }

    /// <summary>Launches <c>y[i] = value</c>.</summary>
    public void Fill<T>(ArrayView<T> y, T value)
        where T : unmanaged, INumber<T>
    {
        if (y.Length == 0)
            return;
        if (style == KernelStyle.Chunked)
        {
            var kernel = Get<FillKey<T>, Action<KernelConfig, ArrayView<T>, T, long>>(
                static acc => acc.LoadStreamKernel<ArrayView<T>, T, long>(ElementwiseKernels.FillChunked<T>));
            var plan = LaunchPlan.For(accelerator, y.Length, style);
            kernel(plan.Config, y, value, plan.Chunk);
        }
        else if (typeof(T) == typeof(float) && Aligned(y, y))
        {
            FillPacked<float, Float4>(y.Cast<float>(), (float)(object)value);
        }
        else if (typeof(T) == typeof(double) && Aligned(y, y))
        {
            FillPacked<double, Double2>(y.Cast<double>(), (double)(object)value);
        }
        else
        {
            FillPacked<T, Single<T>>(y, value);
        }
    }

    private void MapPacked<T, TPack, TOp>(ArrayView<T> x, ArrayView<T> y)
        where T : unmanaged, INumber<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IUnaryOperator
    {
        var kernel = Get<MapPackedKey<T, TPack, TOp>, Action<KernelConfig, ArrayView<TPack>, ArrayView<TPack>, ArrayView<T>, ArrayView<T>>>(
            static acc => acc.LoadStreamKernel<ArrayView<TPack>, ArrayView<TPack>, ArrayView<T>, ArrayView<T>>(ElementwiseKernels.MapPacked<T, TPack, TOp>));
        long body = Split<T, TPack>(y.Length, out long packs);
        kernel(PackedConfig(packs), Body<T, TPack>(x, body), Body<T, TPack>(y, body), Tail(x, body), Tail(y, body));
    }

    private void ZipPacked<T, TPack, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y)
        where T : unmanaged, INumber<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IBinaryOperator
    {
        var kernel = Get<ZipPackedKey<T, TPack, TOp>, Action<KernelConfig, ArrayView<TPack>, ArrayView<TPack>, ArrayView<TPack>, ArrayView<T>, ArrayView<T>, ArrayView<T>>>(
            static acc => acc.LoadStreamKernel<ArrayView<TPack>, ArrayView<TPack>, ArrayView<TPack>, ArrayView<T>, ArrayView<T>, ArrayView<T>>(ElementwiseKernels.ZipPacked<T, TPack, TOp>));
        long body = Split<T, TPack>(y.Length, out long packs);
        kernel(PackedConfig(packs), Body<T, TPack>(a, body), Body<T, TPack>(b, body), Body<T, TPack>(y, body), Tail(a, body), Tail(b, body), Tail(y, body));
    }

    private void FillPacked<T, TPack>(ArrayView<T> y, T value)
        where T : unmanaged, INumber<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        var kernel = Get<FillPackedKey<T, TPack>, Action<KernelConfig, ArrayView<TPack>, ArrayView<T>, T>>(
            static acc => acc.LoadStreamKernel<ArrayView<TPack>, ArrayView<T>, T>(ElementwiseKernels.FillPacked<T, TPack>));
        long body = Split<T, TPack>(y.Length, out long packs);
        kernel(PackedConfig(packs), Body<T, TPack>(y, body), Tail(y, body), value);
    }

    /// <summary>Elements covered by whole packs; the rest (fewer than a pack) is the tail.</summary>
    private static long Split<T, TPack>(long length, out long packs)
        where T : unmanaged, INumber<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        packs = length / TPack.Lanes;
        return packs * TPack.Lanes;
    }

    /// <summary>The first <paramref name="body"/> elements as packs.</summary>
    private static ArrayView<TPack> Body<T, TPack>(ArrayView<T> view, long body)
        where T : unmanaged
        where TPack : unmanaged =>
        body == 0 ? ArrayView<TPack>.Empty : view.SubView(0, body).Cast<TPack>();

    /// <summary>The elements after the first <paramref name="body"/>.</summary>
    private static ArrayView<T> Tail<T>(ArrayView<T> view, long body)
        where T : unmanaged =>
        body == view.Length ? ArrayView<T>.Empty : view.SubView(body, view.Length - body);

    private KernelConfig PackedConfig(long packs) => LaunchPlan.For(accelerator, Math.Max(1, packs), KernelStyle.Packed).Config;

    /// <summary>True when both views start on a 16-byte boundary, as pool blocks do.</summary>
    private static bool Aligned<T>(ArrayView<T> a, ArrayView<T> b)
        where T : unmanaged =>
        ((a.LoadEffectiveAddressAsPtr().ToInt64() | b.LoadEffectiveAddressAsPtr().ToInt64()) & (PackBytes - 1)) == 0;

    private TDelegate Get<TKey, TDelegate>(Func<Accelerator, TDelegate> load)
        where TDelegate : Delegate
    {
        int slot = KernelSlot<TKey>.Index;
        var table = Volatile.Read(ref kernels);
        if (slot < table.Length && table[slot] is TDelegate cached)
            return cached;
        lock (gate)
        {
            if (slot >= kernels.Length)
            {
                var grown = kernels;
                Array.Resize(ref grown, Math.Max(slot + 1, kernels.Length * 2));
                Volatile.Write(ref kernels, grown);
            }
            if (kernels[slot] is TDelegate again)
                return again;
            var loaded = load(accelerator);
            kernels[slot] = loaded;
            CompiledCount++;
            return loaded;
        }
    }

    private static class KernelSlot<TKey>
    {
        public static readonly int Index = SlotCounter.Next();
    }

    private static class SlotCounter
    {
        private static int next = -1;

        public static int Next() => Interlocked.Increment(ref next);
    }

    private readonly struct MapKey<T, TOp>;

    private readonly struct ZipKey<T, TOp>;

    private readonly struct FillKey<T>;

    private readonly struct MapPackedKey<T, TPack, TOp>;

    private readonly struct ZipPackedKey<T, TPack, TOp>;

    private readonly struct FillPackedKey<T, TPack>;
}
