using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
/// counter-based generator, four 32-bit words from a 128-bit counter and a 64-bit key in ten rounds of
/// multiplications and exclusive ors. Every block of words is a pure function of (counter, key), so any thread
/// computes any block, and the numbers are the same on every accelerator and for every launch shape.
/// </summary>
internal static class Philox
{
    /// <summary>The round multipliers (Salmon et al.'s constants).</summary>
    internal const uint Multiplier0 = 0xD2511F53, Multiplier1 = 0xCD9E8D57;

    /// <summary>The key's increments between rounds.</summary>
    internal const uint KeyStep0 = 0x9E3779B9, KeyStep1 = 0xBB67AE85;

    /// <summary>Rounds.</summary>
    internal const int Rounds = 10;

    /// <summary>The block of counter (c0, c1, c2, c3) under key (k0, k1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RandomWords Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < Rounds; round++)
        {
            ulong p0 = (ulong)Multiplier0 * c0;
            ulong p1 = (ulong)Multiplier1 * c2;
            uint hi0 = (uint)(p0 >> 32), hi1 = (uint)(p1 >> 32);
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, (uint)p1, hi0 ^ c3 ^ k1, (uint)p0);
            k0 += KeyStep0;
            k1 += KeyStep1;
        }
        return new RandomWords(c0, c1, c2, c3);
    }
}

/// <summary>One Philox block: four independent, uniformly distributed 32-bit words.</summary>
public readonly record struct RandomWords(uint W0, uint W1, uint W2, uint W3)
{
    /// <summary>Word <paramref name="k"/> (0–3).</summary>
    public uint this[int k]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => k switch
    {
            0 => W0,
            1 => W1,
            2 => W2,
            _ => W3,
        };
    }
}

/// <summary>What a random launch computes.</summary>
public enum RandomKind
{
    /// <summary>y = low + (high − low)·u, u uniform on [0, 1).</summary>
    Uniform,

    /// <summary>y = mean + std·z, z standard normal (Box–Muller).</summary>
    Normal,

    /// <summary>y = x·scale where the element is kept (probability 1 − ratio), else x·0 (inverted dropout).</summary>
    Dropout,
}

/// <summary>
/// A random launch, as a kernel argument: the stream (<see cref="Seed"/>, <see cref="Stream"/>), the kind and its
/// parameters. Element i takes its words from the Philox block with counter (b, stream) and key seed, b = i / lanes:
/// <list type="bullet">
/// <item>uniform and normal float32, and dropout of either type: 4 elements a block, element i word i mod 4;</item>
/// <item>uniform and normal float64: 2 elements a block, element i words 2(i mod 2) (low half) and 2(i mod 2) + 1
/// (high half);</item>
/// <item>a uniform u is the word's top 24 bits times 2⁻²⁴ (float32), or the 64-bit pair's top 53 bits times 2⁻⁵³
/// (float64): exactly representable, on [0, 1);</item>
/// <item>normals come in pairs from uniforms (u, v) of elements 2j and 2j + 1: r = √(−2 ln(1 − u)),
/// z₂ⱼ = r·cos 2πv, z₂ⱼ₊₁ = r·sin 2πv;</item>
/// <item>dropout keeps element i when its word is at least <see cref="Threshold"/> (ratio·2³², rounded).</item>
/// </list>
/// </summary>
/// <param name="Seed">The key.</param>
/// <param name="Stream">The counter's upper 64 bits: one stream per launch.</param>
/// <param name="Kind">What to compute.</param>
/// <param name="A">low, mean or scale.</param>
/// <param name="B">high or std (unused by dropout).</param>
/// <param name="Threshold">Dropout's threshold.</param>
public readonly record struct RandomArguments(ulong Seed, ulong Stream, RandomKind Kind, Parameter A, Parameter B, uint Threshold)
{
    /// <summary>Elements per Philox block for element type <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lanes<T>()
        where T : unmanaged =>
        Kind == RandomKind.Dropout || Interop.SizeOf<T>() == sizeof(float) ? 4 : 2;

    /// <summary>Blocks that cover <paramref name="n"/> elements of <typeparamref name="T"/>.</summary>
    public long Blocks<T>(long n)
        where T : unmanaged
    {
        long lanes = Lanes<T>();
        return (n + lanes - 1) / lanes;
    }

    /// <summary>The Philox block <paramref name="b"/> of this stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public RandomWords Words(long b) =>
        Philox.Block((uint)b, (uint)((ulong)b >> 32), (uint)Stream, (uint)(Stream >> 32), (uint)Seed, (uint)(Seed >> 32));

    /// <summary>The parameters (<see cref="A"/>, <see cref="B"/>) as elements: read once a launch, not once an element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (T A, T B) Parameters<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Parameter a = A, b = B;
        return (a.As<T>(), b.As<T>());
    }

    /// <summary>
    /// The elements of block <paramref name="w"/> (<see cref="Lanes{T}"/> of them; float64 uniform and normal blocks
    /// leave Z and W zero), with the <see cref="Parameters{T}"/> <paramref name="a"/> and <paramref name="b"/>;
    /// <paramref name="x"/> holds the block's input elements for dropout, and is unused otherwise. Whole blocks at
    /// a time, so a normal pair takes one logarithm, one square root, one sine and one cosine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Quad<T> Block<T>(RandomWords w, Quad<T> x, T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Kind == RandomKind.Dropout)
            return new() { X = Drop(w.W0, x.X, a), Y = Drop(w.W1, x.Y, a), Z = Drop(w.W2, x.Z, a), W = Drop(w.W3, x.W, a) };
        if (Interop.SizeOf<T>() == sizeof(float))
        {
            var (v0, v1) = Pair(Single<T>(w.W0), Single<T>(w.W1), a, b);
            var (v2, v3) = Pair(Single<T>(w.W2), Single<T>(w.W3), a, b);
            return new() { X = v0, Y = v1, Z = v2, W = v3 };
        }
        var (d0, d1) = Pair(Double<T>(w.W0, w.W1), Double<T>(w.W2, w.W3), a, b);
        return new() { X = d0, Y = d1, Z = T.Zero, W = T.Zero };
    }

    /// <summary>x·scale where the word reaches the threshold, else x·0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T Drop<T>(uint word, T x, T scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        x * (word >= Threshold ? scale : T.Zero);

    /// <summary>Two elements from the uniforms (u, v): both uniform, or a Box–Muller pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (T, T) Pair<T>(T u, T v, T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Kind == RandomKind.Uniform)
            return (a + ((b - a) * u), a + ((b - a) * v));
        T r = T.Sqrt(-(T.One + T.One) * ElementaryMath.Log(T.One - u));
        T angle = T.Tau * v;
        return (a + (b * (r * ElementaryMath.Cos(angle))), a + (b * (r * ElementaryMath.Sin(angle))));
    }

    /// <summary>A float32 uniform on [0, 1): the word's top 24 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Single<T>(uint word)
        where T : unmanaged
    {
        float u = (word >> 8) * (1.0f / (1 << 24));
        return Unsafe.As<float, T>(ref u);
    }

    /// <summary>A float64 uniform on [0, 1): the top 53 bits of (high, low).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Double<T>(uint low, uint high)
        where T : unmanaged
    {
        double d = (long)((((ulong)high << 32) | low) >> 11) * (1.0 / (1L << 53));
        return Unsafe.As<double, T>(ref d);
    }
}

/// <summary>The random kernels: each thread computes whole Philox blocks (see <see cref="RandomArguments"/>).</summary>
internal static class RandomKernels
{
    /// <summary>Grid-stride over the blocks of y: <c>y[i] = element i</c> (x is read by dropout only).</summary>
    public static void Fill<T>(ArrayView<T> x, ArrayView<T> y, RandomArguments arguments)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long n = y.Length;
        int lanes = arguments.Lanes<T>();
        long blocks = arguments.Blocks<T>(n);
        long stride = ElementwiseKernels.GridStride();
        bool reads = arguments.Kind == RandomKind.Dropout;
        var (a, c) = arguments.Parameters<T>();
        for (long b = Grid.GlobalIndex.X; b < blocks; b += stride)
        {
            long first = b * lanes;
            var input = reads
                ? new Quad<T> { X = Load(x, first, n), Y = Load(x, first + 1, n), Z = Load(x, first + 2, n), W = Load(x, first + 3, n) }
                : default;
            var v = arguments.Block(arguments.Words(b), input, a, c);
            Store(y, first, n, v.X);
            Store(y, first + 1, n, v.Y);
            if (lanes == 4)
            {
                Store(y, first + 2, n, v.Z);
                Store(y, first + 3, n, v.W);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Load<T>(ArrayView<T> x, long i, long n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        i < n ? x[i] : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(ArrayView<T> y, long i, long n, T value)
        where T : unmanaged
    {
        if (i < n)
            y[i] = value;
    }
}

/// <summary>Chunked random fill: items are Philox blocks (see <see cref="RandomArguments"/>).</summary>
internal readonly unsafe struct RandomBody<T>(Address<T> x, Address<T> y, long n, RandomArguments arguments) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(long start, long count)
    {
        T* xs = x, ys = y;
        int lanes = arguments.Lanes<T>();
        bool reads = arguments.Kind == RandomKind.Dropout;
        var (a, c) = arguments.Parameters<T>();
        Span<RandomWords> words = stackalloc RandomWords[PhiloxVector.Blocks];
        long end = start + count;
        for (long b = start; b < end;)
        {
            // Four blocks' words at once in SIMD lanes where the host has them, then each block's elements as the GPU
            // kernel makes them.
            int blocks = 1;
            if (PhiloxVector.IsSupported && b + PhiloxVector.Blocks <= end)
            {
                PhiloxVector.Words(arguments, b, words);
                blocks = PhiloxVector.Blocks;
                if (arguments.Kind == RandomKind.Normal && NormalVector.Fits<T>() && (b + blocks) * lanes <= n)
                {
                    NormalVector.Store(words, a, c, ys + (b * lanes));
                    b += blocks;
                    continue;
                }
            }
            else
            {
                words[0] = arguments.Words(b);
            }
            for (int j = 0; j < blocks; j++, b++)
            {
                long first = b * lanes;
                if (first + lanes > n)
                {
                    Tail(first, words[j], a, c);
                    continue;
                }
                // Dropout blocks have four lanes in either element type.
                var input = reads ? new Quad<T> { X = xs[first], Y = xs[first + 1], Z = xs[first + 2], W = xs[first + 3] } : default;
                var v = arguments.Block(words[j], input, a, c);
                (ys[first], ys[first + 1]) = (v.X, v.Y);
                if (lanes == 4)
                    (ys[first + 2], ys[first + 3]) = (v.Z, v.W);
            }
        }
    }

    /// <summary>The last, partial block: only its elements below n are read and written.</summary>
    private void Tail(long first, RandomWords w, T a, T c)
    {
        int valid = (int)(n - first);
        Span<T> tail = stackalloc T[4];
        if (arguments.Kind == RandomKind.Dropout)
            new ReadOnlySpan<T>((T*)x + first, valid).CopyTo(tail);
        var v = arguments.Block(w, new Quad<T> { X = tail[0], Y = tail[1], Z = tail[2], W = tail[3] }, a, c);
        (tail[0], tail[1], tail[2], tail[3]) = (v.X, v.Y, v.Z, v.W);
        tail[..valid].CopyTo(new Span<T>((T*)y + first, valid));
    }
}

/// <summary>
/// Philox4x32-10 for four consecutive blocks at once on the host, each 32-bit word in the low half of a 64-bit SIMD lane
/// (AVX2's 32×32→64-bit multiply takes those halves; what the upper halves hold is never read). The same words as
/// <see cref="Philox.Block"/>: the kernel tests compare every element with that mapping.
/// </summary>
internal static unsafe class PhiloxVector
{
    /// <summary>Blocks per call.</summary>
    public const int Blocks = 4;

    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>The words of blocks b … b + 3 of the stream into <paramref name="words"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Words(RandomArguments arguments, long b, Span<RandomWords> words)
    {
        var blocks = Vector256.Create((ulong)b, (ulong)b + 1, (ulong)b + 2, (ulong)b + 3);
        var c0 = blocks;
        var c1 = blocks >>> 32;
        var c2 = Vector256.Create(arguments.Stream & uint.MaxValue);
        var c3 = Vector256.Create(arguments.Stream >> 32);
        var k0 = Vector256.Create(arguments.Seed & uint.MaxValue);
        var k1 = Vector256.Create(arguments.Seed >> 32);
        var m0 = Vector256.Create(Philox.Multiplier0);
        var m1 = Vector256.Create(Philox.Multiplier1);
        var w0 = Vector256.Create((ulong)Philox.KeyStep0);
        var w1 = Vector256.Create((ulong)Philox.KeyStep1);
        for (int round = 0; round < Philox.Rounds; round++)
        {
            var p0 = Avx2.Multiply(c0.AsUInt32(), m0);
            var p1 = Avx2.Multiply(c2.AsUInt32(), m1);
            (c0, c1, c2, c3) = ((p1 >>> 32) ^ c1 ^ k0, p1, (p0 >>> 32) ^ c3 ^ k1, p0);
            k0 += w0;
            k1 += w1;
        }
        // The low halves of the four lanes of each word, then one block's four words from each vector.
        var all = stackalloc ulong[4 * Blocks];
        c0.Store(all);
        c1.Store(all + Blocks);
        c2.Store(all + (2 * Blocks));
        c3.Store(all + (3 * Blocks));
        for (int j = 0; j < Blocks; j++)
            words[j] = new RandomWords((uint)all[j], (uint)all[Blocks + j], (uint)all[(2 * Blocks) + j], (uint)all[(3 * Blocks) + j]);
    }
}

/// <summary>
/// Box–Muller on the four blocks of <see cref="PhiloxVector"/> in one vector of pairs, where the host's vectors hold
/// exactly their pairs (8 float32 pairs, 4 float64 ones: 256-bit vectors): <see cref="ElementaryMath"/>'s vector
/// logarithm, sine and cosine and the vector square root give each lane the bits of the scalar steps
/// (<see cref="RandomArguments.Block{T}"/>), so the numbers do not depend on the path.
/// </summary>
internal static unsafe class NormalVector
{
    /// <summary>Pairs per four blocks: 8 in float32 (two a block), 4 in float64 (one a block).</summary>
    public static bool Fits<T>()
        where T : unmanaged =>
        Vector<T>.Count == (Unsafe.SizeOf<T>() == sizeof(float) ? 2 : 1) * PhiloxVector.Blocks && Vector.IsHardwareAccelerated;

    /// <summary>The 16 (float32) or 8 (float64) normals of the four blocks, mean a and deviation b, to <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Store<T>(ReadOnlySpan<RandomWords> words, T a, T b, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = Vector<T>.Count;
        Span<T> us = stackalloc T[count];
        Span<T> vs = stackalloc T[count];
        bool single = Unsafe.SizeOf<T>() == sizeof(float);
        for (int lane = 0; lane < count; lane++)
        {
            var w = words[single ? lane / 2 : lane];
            int p = single ? lane % 2 : 0;
            (us[lane], vs[lane]) = single
                ? (RandomArguments.Single<T>(w[2 * p]), RandomArguments.Single<T>(w[(2 * p) + 1]))
                : (RandomArguments.Double<T>(w.W0, w.W1), RandomArguments.Double<T>(w.W2, w.W3));
        }
        var u = new Vector<T>(us);
        var v = new Vector<T>(vs);
        var r = Vector.SquareRoot(new Vector<T>(-(T.One + T.One)) * ElementaryMath.Log(Vector<T>.One - u));
        var angle = new Vector<T>(T.Tau) * v;
        var mean = new Vector<T>(a);
        var deviation = new Vector<T>(b);
        var first = mean + (deviation * (r * ElementaryMath.Cos(angle)));
        var second = mean + (deviation * (r * ElementaryMath.Sin(angle)));
        for (int lane = 0; lane < count; lane++)
            (y[2 * lane], y[(2 * lane) + 1]) = (first[lane], second[lane]);
    }
}
