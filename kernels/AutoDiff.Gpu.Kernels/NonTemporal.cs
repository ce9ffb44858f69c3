using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Stores that bypass the caches, for CPU results larger than a last-level cache. A normal store first reads the
/// line it writes: an elementwise op over 64 MiB then moves three streams instead of two. A hand-written two-thread
/// broadcast add of 16Mi float32 took 2.35 ms with these stores and 2.97 ms without.
/// </summary>
internal static unsafe class NonTemporal
{
    /// <summary>Bytes of a result from which its stores bypass the caches (it would not stay in a 32 MiB L3).</summary>
    public const long MinBytes = 32L << 20;

    /// <summary>Whether a result of <paramref name="elements"/> elements is stored past the caches.</summary>
    public static bool Worth<T>(long elements)
        where T : unmanaged =>
        elements * sizeof(T) >= MinBytes
        && ((Vector<byte>.Count == 32 && Vector256.IsHardwareAccelerated)
            || (Vector<byte>.Count == 64 && Vector512.IsHardwareAccelerated))
        && Sse.IsSupported;

    /// <summary>Whether <paramref name="p"/> starts a vector's aligned slot, as these stores need.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Aligned<T>(T* p)
        where T : unmanaged =>
        ((nint)p & (Vector<byte>.Count - 1)) == 0;

    /// <summary>Orders this thread's bypassing stores before its later stores (the launch's completion).</summary>
    public static void Fence()
    {
        if (Sse.IsSupported)
            Sse.StoreFence();
    }
}

/// <summary>How a CPU loop stores its result vectors: a type parameter, so that each loop compiles without a branch.</summary>
internal interface IVectorStore
{
    /// <summary>Stores <paramref name="value"/> at <paramref name="p"/>.</summary>
    static abstract unsafe void Store<T>(Vector<T> value, T* p)
        where T : unmanaged;
}

/// <summary>A normal store, through the caches.</summary>
internal readonly struct CachedStore : IVectorStore
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store<T>(Vector<T> value, T* p)
        where T : unmanaged =>
        Vector.Store(value, p);
}

/// <summary>A store past the caches at an aligned address (<see cref="NonTemporal.Aligned{T}(T*)"/>).</summary>
internal readonly struct BypassStore : IVectorStore
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store<T>(Vector<T> value, T* p)
        where T : unmanaged
    {
        if (Vector<byte>.Count == 32)
            Vector256.StoreAlignedNonTemporal(value.AsVector256(), p);
        else
            Vector512.StoreAlignedNonTemporal(value.AsVector512(), p);
    }
}
