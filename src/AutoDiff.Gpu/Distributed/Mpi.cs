using System.Text;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// A thin binding of the MPI C library in MPICH's ABI (MPICH, Intel MPI, MVAPICH: <c>libmpich.so.12</c>), where
/// handles are ints and the constants are those of MPICH's <c>mpi.h</c>. The library is found at run time, so the
/// engine needs no MPI unless a launcher started it. Not MPI.NET: its 1.4.0 package binds Microsoft MPI on Windows
/// only, and it serializes with BinaryFormatter, which .NET removed.
/// </summary>
internal sealed unsafe class Mpi
{
    /// <summary>An absolute path to an MPI library to use instead of the names probed.</summary>
    public const string PathVariable = "AUTODIFF_MPI";

    public const int Success = 0;
    public const int CommWorld = 0x44000000;
    public const int CommNull = 0x04000000;
    public const int Float = 0x4c00040a;
    public const int Double = 0x4c00080b;
    public const int Int64 = 0x4c00083a;
    public const int Byte = 0x4c00010d;
    public const int Max = 0x58000001;
    public const int Sum = 0x58000003;
    public const int ErrorsReturn = 0x54000001;
    public const int InfoNull = 0x1c000000;
    public const int CommTypeShared = 1;
    public const int WinNull = 0x20000000;
    public const int ThreadMultiple = 3;
    public const int MaxErrorString = 512;
    public const int MaxLibraryVersionString = 8192;

    /// <summary><c>MPI_IN_PLACE</c>: the receive buffer is also the send buffer.</summary>
    public static readonly void* InPlace = (void*)-1;

    private static readonly Lazy<Mpi> Loaded = new(() => new Mpi(Open()));

    private Mpi(IntPtr library)
    {
        Initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(library, "MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
        Abort = (delegate* unmanaged<int, int, int>)Export(library, "MPI_Abort");
        CommRank = (delegate* unmanaged<int, int*, int>)Export(library, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<int, int*, int>)Export(library, "MPI_Comm_size");
        CommSplitType = (delegate* unmanaged<int, int, int, int, int*, int>)Export(library, "MPI_Comm_split_type");
        CommFree = (delegate* unmanaged<int*, int>)Export(library, "MPI_Comm_free");
        CommSetErrhandler = (delegate* unmanaged<int, int, int>)Export(library, "MPI_Comm_set_errhandler");
        errorString = (delegate* unmanaged<int, byte*, int*, int>)Export(library, "MPI_Error_string");
        libraryVersion = (delegate* unmanaged<byte*, int*, int>)Export(library, "MPI_Get_library_version");
        Allreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int>)Export(library, "MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, int, int, int, int>)Export(library, "MPI_Bcast");
        Allgather = (delegate* unmanaged<void*, int, int, void*, int, int, int, int>)Export(library, "MPI_Allgather");
        ReduceScatterBlock = (delegate* unmanaged<void*, void*, int, int, int, int, int>)
            Export(library, "MPI_Reduce_scatter_block");
        Barrier = (delegate* unmanaged<int, int>)Export(library, "MPI_Barrier");
        WinAllocateShared = (delegate* unmanaged<nint, int, int, int, void*, int*, int>)
            Export(library, "MPI_Win_allocate_shared");
        WinSharedQuery = (delegate* unmanaged<int, int, nint*, int*, void*, int>)
            Export(library, "MPI_Win_shared_query");
        WinFree = (delegate* unmanaged<int*, int>)Export(library, "MPI_Win_free");
        Version = LibraryVersion();
        if (Version.Contains("Open MPI", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException(
                $"the MPI library found is Open MPI ({FirstLine(Version)}), whose ABI differs from MPICH's that " +
                $"AutoDiff.Gpu binds: set {PathVariable} to MPICH's libmpich.so.12");
        }
    }

    /// <summary>The library, loaded on first use.</summary>
    /// <exception cref="DllNotFoundException">No MPI is installed: the message says how to get it.</exception>
    public static Mpi Library => Loaded.Value;

    /// <summary>What <c>MPI_Get_library_version</c> says (e.g. <c>MPICH Version: 4.0.2</c> and its build).</summary>
    public string Version { get; }

    public delegate* unmanaged<int*, int> Initialized { get; }

    public delegate* unmanaged<int*, int> Finalized { get; }

    public delegate* unmanaged<int*, byte***, int, int*, int> InitThread { get; }

    public delegate* unmanaged<int> Finalize { get; }

    public delegate* unmanaged<int, int, int> Abort { get; }

    public delegate* unmanaged<int, int*, int> CommRank { get; }

    public delegate* unmanaged<int, int*, int> CommSize { get; }

    public delegate* unmanaged<int, int, int, int, int*, int> CommSplitType { get; }

    public delegate* unmanaged<int*, int> CommFree { get; }

    public delegate* unmanaged<int, int, int> CommSetErrhandler { get; }

    public delegate* unmanaged<void*, void*, int, int, int, int, int> Allreduce { get; }

    public delegate* unmanaged<void*, int, int, int, int, int> Bcast { get; }

    public delegate* unmanaged<void*, int, int, void*, int, int, int, int> Allgather { get; }

    public delegate* unmanaged<void*, void*, int, int, int, int, int> ReduceScatterBlock { get; }

    public delegate* unmanaged<int, int> Barrier { get; }

    /// <summary><c>MPI_Win_allocate_shared(size, disp_unit, info, comm, &amp;base, &amp;win)</c>.</summary>
    public delegate* unmanaged<nint, int, int, int, void*, int*, int> WinAllocateShared { get; }

    /// <summary><c>MPI_Win_shared_query(win, rank, &amp;size, &amp;disp_unit, &amp;base)</c>.</summary>
    public delegate* unmanaged<int, int, nint*, int*, void*, int> WinSharedQuery { get; }

    public delegate* unmanaged<int*, int> WinFree { get; }

    private readonly delegate* unmanaged<int, byte*, int*, int> errorString;
    private readonly delegate* unmanaged<byte*, int*, int> libraryVersion;

    /// <summary>The MPI datatype of <paramref name="dtype"/>.</summary>
    public static int Datatype(DType dtype) => dtype switch
    {
        DType.Float32 => Float,
        DType.Float64 => Double,
        _ => throw new NotSupportedException($"collectives move float32 and float64 tensors, not {dtype}"),
    };

    /// <summary>
    /// Throws <see cref="CollectiveException"/> in MPI's words unless <paramref name="code"/> is success.
    /// </summary>
    public void Check(int code, string function)
    {
        if (code != Success)
            throw new CollectiveException($"{function} failed: {ErrorString(code)} (MPI error {code})");
    }

    /// <summary>MPI's text for an error code.</summary>
    public string ErrorString(int code)
    {
        var text = stackalloc byte[MaxErrorString];
        int length = 0;
        if (errorString(code, text, &length) != Success)
            return $"error code {code}";
        return Encoding.UTF8.GetString(text, Math.Clamp(length, 0, MaxErrorString)).Trim();
    }

    private string LibraryVersion()
    {
        var text = new byte[MaxLibraryVersionString];
        int length = 0;
        fixed (byte* p = text)
            Check(libraryVersion(p, &length), "MPI_Get_library_version");
        return Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length)).TrimEnd('\0').Trim();
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static IntPtr Export(IntPtr library, string symbol) =>
        NativeLibraries.Export(library, "the MPI library", symbol);

    private static IntPtr Open() => NativeLibraries.Load(
        "MPI (MPICH's libmpich.so.12)",
        PathVariable,
        ["libmpich.so.12", "libmpi.so.12", "libmpich.so"],
        "install MPICH (apt-get install mpich)");
}
