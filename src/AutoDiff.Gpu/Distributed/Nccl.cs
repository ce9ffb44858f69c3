using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// A thin binding of NVIDIA's NCCL (<c>libnccl.so.2</c>), found as the engine finds cuBLAS: the path in
/// <see cref="PathVariable"/>, the loader's search path, CUDA's folder, then the copy PyTorch's wheels install
/// (<c>site-packages/nvidia/nccl/lib</c>). Counts are <c>size_t</c>: no chunks.
/// </summary>
internal sealed unsafe class Nccl
{
    /// <summary>An absolute path to a NCCL library to use instead of the names probed.</summary>
    public const string PathVariable = "AUTODIFF_NCCL";

    public const int Success = 0;
    public const int Float32 = 7;
    public const int Float64 = 8;
    public const int Sum = 0;
    public const int Max = 2;

    private static readonly Lazy<Nccl> Loaded = new(() => new Nccl(Open()));

    private readonly delegate* unmanaged<int, byte*> errorString;

    private Nccl(IntPtr library)
    {
        GetVersion = (delegate* unmanaged<int*, int>)Export(library, "ncclGetVersion");
        GetUniqueId = (delegate* unmanaged<UniqueId*, int>)Export(library, "ncclGetUniqueId");
        CommInitRank = (delegate* unmanaged<IntPtr*, int, UniqueId, int, int>)Export(library, "ncclCommInitRank");
        CommDestroy = (delegate* unmanaged<IntPtr, int>)Export(library, "ncclCommDestroy");
        errorString = (delegate* unmanaged<int, byte*>)Export(library, "ncclGetErrorString");
        AllReduce = (delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int>)
            Export(library, "ncclAllReduce");
        Broadcast = (delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int>)
            Export(library, "ncclBroadcast");
        AllGather = (delegate* unmanaged<void*, void*, nuint, int, IntPtr, IntPtr, int>)
            Export(library, "ncclAllGather");
        ReduceScatter = (delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int>)
            Export(library, "ncclReduceScatter");
        int version;
        Check(GetVersion(&version), "ncclGetVersion");
        Version = version;
    }

    /// <summary>The library, loaded on first use.</summary>
    /// <exception cref="DllNotFoundException">NCCL is not installed: the message lists where it was looked
    /// for.</exception>
    public static Nccl Library => Loaded.Value;

    /// <summary>NCCL's version code (major × 10000 + minor × 100 + patch since 2.9).</summary>
    public int Version { get; }

    public delegate* unmanaged<int*, int> GetVersion { get; }

    public delegate* unmanaged<UniqueId*, int> GetUniqueId { get; }

    public delegate* unmanaged<IntPtr*, int, UniqueId, int, int> CommInitRank { get; }

    public delegate* unmanaged<IntPtr, int> CommDestroy { get; }

    public delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int> AllReduce { get; }

    public delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int> Broadcast { get; }

    public delegate* unmanaged<void*, void*, nuint, int, IntPtr, IntPtr, int> AllGather { get; }

    public delegate* unmanaged<void*, void*, nuint, int, int, IntPtr, IntPtr, int> ReduceScatter { get; }

    /// <summary>The NCCL datatype of <paramref name="dtype"/>.</summary>
    public static int Datatype(DType dtype) => dtype switch
    {
        DType.Float32 => Float32,
        DType.Float64 => Float64,
        _ => throw new NotSupportedException($"collectives move float32 and float64 tensors, not {dtype}"),
    };

    /// <summary>Throws <see cref="CollectiveException"/> with NCCL's own words unless <paramref name="code"/> is
    /// success.</summary>
    public void Check(int code, string function)
    {
        if (code != Success)
        {
            string? text = Marshal.PtrToStringUTF8((IntPtr)errorString(code));
            throw new CollectiveException($"{function} failed: {text} (NCCL error {code})");
        }
    }

    /// <summary>True when NCCL loads here; otherwise <paramref name="reason"/> says why not.</summary>
    public static bool TryLoad([NotNullWhen(false)] out string? reason)
    {
        try
        {
            _ = Library;
            reason = null;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CollectiveException)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The names probed, in order.</summary>
    internal static IEnumerable<string> Candidates() =>
        Names.Concat(NativeLibraries.InPythonPackages("nvidia/nccl/lib/libnccl.so.2"));

    private static readonly string[] Names =
        ["libnccl.so.2", "libnccl.so", "/usr/local/cuda/lib64/libnccl.so.2", "/usr/lib/x86_64-linux-gnu/libnccl.so.2"];

    private static IntPtr Export(IntPtr library, string symbol) => NativeLibraries.Export(library, "NCCL", symbol);

    private static IntPtr Open() => NativeLibraries.Load(
        "NCCL (libnccl.so.2)",
        PathVariable,
        Candidates(),
        "install NCCL (NVIDIA's libnccl2 package, or pip's nvidia-nccl-cu12 that PyTorch brings)");

    /// <summary>The 128 bytes that name one NCCL communicator, made by one rank and sent to the others.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UniqueId
    {
        public const int Bytes = 128;

        private fixed byte internals[Bytes];

        /// <summary>The bytes, to send and receive.</summary>
        [UnscopedRef]
        public Span<byte> AsSpan() => MemoryMarshal.CreateSpan(ref internals[0], Bytes);
    }
}
