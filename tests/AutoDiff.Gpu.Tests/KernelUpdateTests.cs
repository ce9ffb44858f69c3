using System.Numerics;
using AutoDiff.Gpu.Kernels;
using AutoDiff.Gpu.Optimizers;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The update kernels in one layout and element type: Adam (two states) and momentum (one) over whole packs, their
/// tails and views one element off the packs' alignment give the rule's values on the host, bit for bit on the CPU
/// accelerator; a state the rule does not keep is never touched.
/// </summary>
public abstract class KernelUpdateTests<T>(KernelDeviceFixture fixture, KernelStyle style)
    : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(5, 0)]
    [InlineData(8, 1)]
    [InlineData(1027, 0)]
    [InlineData(1027, 1)]
    public void Adam_updates_the_parameter_and_both_moments(int length, int offset) =>
        Check(new AdamRule(0.01, 0.9, 0.999, 1e-8), length, offset);

    [Theory]
    [InlineData(3, 0)]
    [InlineData(64, 0)]
    [InlineData(1027, 1)]
    public void Momentum_updates_the_parameter_and_its_velocity(int length, int offset) =>
        Check(new MomentumRule(0.1, 0.9), length, offset);

    private void Check<TRule>(TRule rule, int length, int offset)
        where TRule : struct, IUpdateRule
    {
        int size = length + offset;
        T[] p = KernelHost.Values<T>(size, seed: 1, specials: false);
        T[] g = KernelHost.Values<T>(size, seed: 2, specials: false);
        T[] s1 = KernelHost.Values<T>(size, seed: 3, specials: false);
        T[] s2 = Array.ConvertAll(KernelHost.Values<T>(size, seed: 4, specials: false), T.Abs);
        using var bp = Accelerator.Upload(p);
        using var bg = Accelerator.Upload(g);
        using var b1 = Accelerator.Upload(s1);
        using var b2 = Accelerator.Upload(s2);
        ArrayView<T> View(MemoryBuffer1D<T, Stride1D.Dense> b) => b.View.SubView(offset, length);
        Kernels.Update(View(bp), View(bg), View(b1), View(b2), rule);
        var (np, n1, n2) = (bp.Download(), b1.Download(), b2.Download());
        bool cpu = Accelerator.AcceleratorType == AcceleratorType.CPU;
        for (int i = 0; i < size; i++)
        {
            var (ep, e1, e2) = i < offset ? (p[i], s1[i], s2[i]) : rule.Apply(p[i], g[i], s1[i], s2[i]);
            string where = $"element {i} of {length} at offset {offset}";
            KernelHost.AssertSameOnCpu(ep, np[i], cpu, $"p, {where}");
            KernelHost.AssertSameOnCpu(TRule.States > 0 ? e1 : s1[i], n1[i], cpu, $"s1, {where}");
            KernelHost.AssertSameOnCpu(TRule.States > 1 ? e2 : s2[i], n2[i], cpu, $"s2, {where}");
        }
    }
}

public sealed class KernelUpdateTestsChunkedFloat(KernelFixture fixture)
    : KernelUpdateTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelUpdateTestsChunkedDouble(KernelFixture fixture)
    : KernelUpdateTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelUpdateTestsPackedFloat(KernelFixture fixture)
    : KernelUpdateTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelUpdateTestsPackedDouble(KernelFixture fixture)
    : KernelUpdateTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelUpdateTestsCudaFloat(CudaKernelFixture fixture)
    : KernelUpdateTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelUpdateTestsCudaDouble(CudaKernelFixture fixture)
    : KernelUpdateTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
