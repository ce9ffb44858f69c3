using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>The generator against Random123's published known answers for Philox4x32-10.</summary>
public sealed class PhiloxTests
{
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox4x32_10_gives_the_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint w0, uint w1, uint w2, uint w3) =>
        Assert.Equal(new RandomWords(w0, w1, w2, w3), Philox.Block(c0, c1, c2, c3, k0, k1));
}

/// <summary>
/// The documented element mapping of a random launch, written out again on the host from the Philox blocks: uniform
/// numbers and dropout masks to the bit, normals within the rounding of ln, sin and cos. Every size of
/// <see cref="KernelHost.Sizes"/>, so tails of a block and parallel launches are covered, in each layout.
/// </summary>
public abstract class KernelRandomTests<T>(KernelDeviceFixture fixture, KernelStyle style) : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const ulong Seed = 0x0123456789abcdef, Stream = 0xfedcba9876543210;

    private static bool Single => typeof(T) == typeof(float);

    [Theory]
    [MemberData(nameof(RandomSizes.All), MemberType = typeof(RandomSizes))]
    public void Uniform_numbers_follow_the_documented_mapping(int n)
    {
        using var y = Accelerator.Allocate1D<T>(n);
        Kernels.Random(y.Whole(), new RandomArguments(Seed, Stream, RandomKind.Uniform, -1.5, 2.5, 0));
        var expected = new double[n];
        for (int i = 0; i < n; i++)
            expected[i] = double.CreateTruncating(T.CreateTruncating(-1.5) + (T.CreateTruncating(4.0) * T.CreateTruncating(HostUniform(i))));
        KernelHost.AssertClose(expected, y.Download(), 0);
    }

    [Theory]
    [MemberData(nameof(RandomSizes.All), MemberType = typeof(RandomSizes))]
    public void Normal_numbers_are_box_muller_of_the_uniforms(int n)
    {
        using var y = Accelerator.Allocate1D<T>(n);
        Kernels.Random(y.Whole(), new RandomArguments(Seed, Stream, RandomKind.Normal, 0.25, 2, 0));
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            int first = i & ~1;
            double r = Math.Sqrt(-2 * Math.Log(1 - HostUniform(first)));
            double angle = double.CreateTruncating(T.Tau * T.CreateTruncating(HostUniform(first + 1)));
            expected[i] = 0.25 + (2 * r * ((i & 1) == 0 ? Math.Cos(angle) : Math.Sin(angle)));
        }
        // ln, sin and cos within a few units in the last place, scaled by r (at most 5.8 in float32, 8.6 in float64).
        KernelHost.AssertClose(expected, y.Download(), 0, Single ? 2e-5 : 4e-14);
    }

    [Theory]
    [InlineData(RandomKind.Normal, 40_003)]
    [InlineData(RandomKind.Uniform, 40_003)]
    public void Every_layout_gives_the_same_bits(RandomKind kind, int n)
    {
        // The CPU accelerator's loops (vector Philox, vector Box–Muller) against the GPU kernel's scalar steps.
        var arguments = new RandomArguments(Seed, Stream, kind, 0.5, 3, 0);
        using var mine = Accelerator.Allocate1D<T>(n);
        using var theirs = Accelerator.Allocate1D<T>(n);
        Kernels.Random(mine.Whole(), arguments);
        Fixture.Library(KernelStyle.Packed).Random(theirs.Whole(), arguments);
        Assert.Equal(theirs.Download(), mine.Download());
    }

    [Theory]
    [MemberData(nameof(RandomSizes.All), MemberType = typeof(RandomSizes))]
    public void Dropout_keeps_the_elements_whose_word_reaches_the_threshold(int n)
    {
        var x = KernelHost.Values<T>(n, seed: 5);
        const uint threshold = 0x4ccccccd; // ratio 0.3
        var scale = T.CreateTruncating(1 / 0.7);
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(n);
        var arguments = new RandomArguments(Seed, Stream, RandomKind.Dropout, 1 / 0.7, 0, threshold);
        Kernels.Dropout(bx.Whole(), by.Whole(), arguments);
        var expected = new double[n];
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            bool keep = Word(i / 4, i % 4) >= threshold;
            kept += keep ? 1 : 0;
            expected[i] = double.CreateTruncating(x[i] * (keep ? scale : T.Zero));
        }
        KernelHost.AssertClose(expected, by.Download(), 0);
        if (n >= 1000)
            Assert.InRange(kept / (double)n, 0.64, 0.76);

        // In place, as the backward pass may run it: the same elements again.
        Kernels.Dropout(bx.Whole(), bx.Whole(), arguments);
        KernelHost.AssertClose(expected, bx.Download(), 0);
    }

    [Fact]
    public void Random_launches_reject_the_wrong_kind_and_mismatched_views()
    {
        using var x = Accelerator.Allocate1D<T>(8);
        using var y = Accelerator.Allocate1D<T>(9);
        Assert.Throws<ArgumentException>(() => Kernels.Random(y.Whole(), new RandomArguments(1, 0, RandomKind.Dropout, 2, 0, 1)));
        Assert.Throws<ArgumentException>(() => Kernels.Dropout(x.Whole(), y.Whole(), new RandomArguments(1, 0, RandomKind.Dropout, 2, 0, 1)));
        Assert.Throws<ArgumentException>(() => Kernels.Dropout(y.Whole(), y.Whole(), new RandomArguments(1, 0, RandomKind.Uniform, 0, 1, 0)));
    }

    private static uint Word(long block, int k) =>
        Philox.Block((uint)block, (uint)(block >> 32), unchecked((uint)Stream), (uint)(Stream >> 32), unchecked((uint)Seed), (uint)(Seed >> 32))[k];

    /// <summary>Element i's uniform: 24 bits of word i mod 4 (float32), or 53 bits of the pair 2(i mod 2), 2(i mod 2) + 1 (float64).</summary>
    private static double HostUniform(int i)
    {
        if (Single)
            return (Word(i / 4, i % 4) >> 8) / 16777216.0;
        ulong pair = ((ulong)Word(i / 2, (2 * (i % 2)) + 1) << 32) | Word(i / 2, 2 * (i % 2));
        return (pair >> 11) / 9007199254740992.0;
    }
}

/// <summary>The sizes of the random kernel tests: <see cref="KernelHost.Sizes"/>.</summary>
public static class RandomSizes
{
    public static TheoryData<int> All => new(KernelHost.Sizes);
}

public sealed class KernelRandomTestsChunkedFloat(KernelFixture fixture) : KernelRandomTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelRandomTestsChunkedDouble(KernelFixture fixture) : KernelRandomTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelRandomTestsPackedFloat(KernelFixture fixture) : KernelRandomTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelRandomTestsPackedDouble(KernelFixture fixture) : KernelRandomTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelRandomTestsCudaFloat(CudaKernelFixture fixture) : KernelRandomTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelRandomTestsCudaDouble(CudaKernelFixture fixture) : KernelRandomTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
