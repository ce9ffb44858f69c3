using System.Numerics;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The kernels of one accelerator, compiled on first use and kept for the accelerator's lifetime (ILGPU's own
/// cache holds kernels weakly). Launches are asynchronous on the accelerator's default stream. Thread-safe.
/// </summary>
public sealed class KernelLibrary
{
    private readonly Accelerator accelerator;
    private readonly Lock gate = new();
    private Delegate?[] kernels = new Delegate?[16];

    /// <summary>Creates the (empty) kernel library of <paramref name="accelerator"/>.</summary>
    public KernelLibrary(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        this.accelerator = accelerator;
    }

    /// <summary>Number of kernels compiled so far.</summary>
    public int CompiledCount { get; private set; }

    /// <summary>Launches <c>y[i] = TOp(x[i])</c>; x and y have the same length.</summary>
    public void Map<T, TOp>(ArrayView<T> x, ArrayView<T> y)
        where T : unmanaged, INumber<T>
        where TOp : struct, IUnaryOperator
    {
        if (y.Length == 0)
            return;
        var kernel = Get<MapKey<T, TOp>, Action<KernelConfig, ArrayView<T>, ArrayView<T>, long>>(
            static acc => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, long>(ElementwiseKernels.Map<T, TOp>));
        var plan = LaunchPlan.For(accelerator, y.Length);
        kernel(plan.Config, x, y, plan.Chunk);
    }

    /// <summary>Launches <c>y[i] = TOp(a[i], b[i])</c>; a, b and y have the same length.</summary>
    public void Zip<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y)
        where T : unmanaged, INumber<T>
        where TOp : struct, IBinaryOperator
    {
        if (y.Length == 0)
            return;
        var kernel = Get<ZipKey<T, TOp>, Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, long>>(
            static acc => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, long>(ElementwiseKernels.Zip<T, TOp>));
        var plan = LaunchPlan.For(accelerator, y.Length);
        kernel(plan.Config, a, b, y, plan.Chunk);
    }

    /// <summary>Launches <c>y[i] = value</c>.</summary>
    public void Fill<T>(ArrayView<T> y, T value)
        where T : unmanaged, INumber<T>
    {
        if (y.Length == 0)
            return;
        var kernel = Get<FillKey<T>, Action<KernelConfig, ArrayView<T>, T, long>>(
            static acc => acc.LoadStreamKernel<ArrayView<T>, T, long>(ElementwiseKernels.Fill<T>));
        var plan = LaunchPlan.For(accelerator, y.Length);
        kernel(plan.Config, y, value, plan.Chunk);
    }

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
                Array.Resize(ref kernels, Math.Max(slot + 1, kernels.Length * 2));
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
}
