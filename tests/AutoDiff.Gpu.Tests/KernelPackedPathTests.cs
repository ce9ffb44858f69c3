using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;
using AutoDiff.Gpu.Optimizers;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

using RowSum = Binary<PlusOperator, Arg<Slots.S0>, BroadcastArg<Slots.S1, Runs.Contiguous>>;

/// <summary>
/// The GPU layout takes 16-byte packs wherever the views allow: maps, zips, fills, fused expressions and updates over
/// aligned views of any length (the tail element by element), whatever a broadcast input's alignment; one element a
/// pack where a view read whole is one element off.
/// </summary>
public abstract class KernelPackedPathTests(KernelDeviceFixture fixture)
    : KernelSuite<float>(fixture, KernelStyle.Packed)
{
    private const int Length = 1027;

    [Fact]
    public void Aligned_views_of_any_length_take_packs()
    {
        using var a = Accelerator.Upload(KernelHost.Values<float>(Length + 1, seed: 1, specials: false));
        using var b = Accelerator.Upload(KernelHost.Values<float>(Length + 1, seed: 2, specials: false));
        using var row = Accelerator.Upload(KernelHost.Values<float>(80, seed: 3, specials: false));
        var (x, y) = (a.View.SubView(0, Length + 1), b.View.SubView(0, Length + 1));
        Assert.True(BroadcastIndex.TryCreate([13, 79], [0, 1], out var index));
        Assert.Equal(1, Packed(() => Kernels.Map<float, ExpOperator>(x, y, default)));
        Assert.Equal(1, Packed(() => Kernels.Zip<float, MulOperator>(x, y, y, default)));
        Assert.Equal(1, Packed(() => Kernels.Fill(y, 2f)));
        // The row starts one element off: broadcast inputs are gathered, so their alignment does not matter.
        Assert.Equal(1, Packed(() => Kernels.Fused<float, RowSum>(
            [x.SubView(0, Length), row.View.SubView(1, 79)], [default, index], y.SubView(0, Length), default)));
        Assert.Equal(1, Packed(() => Kernels.Update<float, MomentumRule>(x, y, y, y, new MomentumRule(0.1, 0.9))));
    }

    [Fact]
    public void A_view_one_element_off_takes_single_elements()
    {
        using var a = Accelerator.Upload(KernelHost.Values<float>(Length + 1, seed: 1, specials: false));
        using var b = Accelerator.Upload(KernelHost.Values<float>(Length + 1, seed: 2, specials: false));
        var (x, y) = (a.View.SubView(0, Length), b.View.SubView(1, Length));
        Assert.Equal(0, Packed(() => Kernels.Map<float, ExpOperator>(x, y, default)));
        Assert.Equal(0, Packed(() => Kernels.Fill(y, 2f)));
        Assert.Equal(0, Packed(() => Kernels.Fused<float, Binary<MulOperator, Arg<Slots.S0>, Arg<Slots.S1>>>(
            [x, y], x, default)));
    }

    /// <summary>The launches of <paramref name="launch"/> that took packs.</summary>
    private long Packed(Action launch)
    {
        long before = Kernels.PackedLaunches;
        launch();
        Accelerator.Synchronize();
        return Kernels.PackedLaunches - before;
    }
}

public sealed class KernelPackedPathTestsCpu(KernelFixture fixture)
    : KernelPackedPathTests(fixture), IClassFixture<KernelFixture>;

public sealed class KernelPackedPathTestsCuda(CudaKernelFixture fixture)
    : KernelPackedPathTests(fixture), IClassFixture<CudaKernelFixture>;
