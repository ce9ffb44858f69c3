using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// The all-reduce of ranks that share one node's memory, through an MPI-3 shared window made once. A round
/// reduces a chunk cut into one part per rank: each rank puts the parts that others own into its segment, reduces
/// its own part over every rank in rank order, then copies the others' reduced parts. The data crosses memory
/// about twice, where MPICH's messages cross it four times or more. Rounds alternate between two buffers, so that
/// one wait per round separates them.
/// </summary>
internal sealed unsafe class SharedAllReduce : IDisposable
{
    /// <summary>
    /// The bytes of one buffer of a rank's segment, cut into one part per rank: the most a round reduces. Rounds of
    /// 8 MiB beat 4 MiB by a third on two cores; larger ones gained nothing.
    /// </summary>
    public const long BufferBytes = 8 << 20;

    /// <summary>A cache line pair at the head of each segment: the rank's count of waits reached.</summary>
    private const int FlagBytes = 128;

    private readonly Mpi mpi;
    private readonly int rank;
    private readonly nint[] segments;
    private readonly long partBytes;
    private readonly long bufferBytes;
    private int node;
    private int window = Mpi.WinNull;
    private long waits;

    private SharedAllReduce(Mpi mpi, int node)
    {
        this.mpi = mpi;
        this.node = node;
        int size;
        int me;
        mpi.Check(mpi.CommSize(node, &size), "MPI_Comm_size");
        mpi.Check(mpi.CommRank(node, &me), "MPI_Comm_rank");
        rank = me;
        segments = new nint[size];
        partBytes = PartBytes(size);
        bufferBytes = size * partBytes;
        void* mine;
        int win;
        nint bytes = (nint)SegmentBytes(size);
        int code = mpi.WinAllocateShared(bytes, 1, Mpi.InfoNull, node, &mine, &win);
        if (code != Mpi.Success)
        {
            throw new CollectiveException(
                $"MPI_Win_allocate_shared of {bytes:N0} bytes failed: {mpi.ErrorString(code)} (MPI error {code}); " +
                $"set {MpiBackend.SharedMemoryVariable}=0 to all-reduce without shared memory");
        }
        window = win;
        for (int r = 0; r < size; r++)
        {
            nint length;
            int unit;
            void* segment;
            mpi.Check(mpi.WinSharedQuery(window, r, &length, &unit, &segment), "MPI_Win_shared_query");
            segments[r] = (nint)segment;
        }
        Volatile.Write(ref *(long*)mine, 0);
        mpi.Check(mpi.Barrier(node), "MPI_Barrier");
    }

    /// <summary>Bytes of one rank's segment of the window on a node of <paramref name="ranks"/> ranks.</summary>
    public static long SegmentBytes(int ranks) => FlagBytes + (2L * ranks * PartBytes(ranks));

    /// <summary>
    /// Whether a shared-memory file system with <paramref name="freeBytes"/> free holds the window of
    /// <paramref name="ranks"/> ranks, with room to spare for others (a container's <c>/dev/shm</c> is often 64 MB).
    /// </summary>
    public static bool Fits(long freeBytes, int ranks) => ranks * SegmentBytes(ranks) <= freeBytes / 2;

    /// <summary>
    /// The all-reduce of <paramref name="world"/> where all its ranks share this node and all
    /// <paramref name="want"/> it; else null. Every rank must call it. A rank whose <c>/dev/shm</c> cannot hold the
    /// window with room to spare votes for MPI's own path.
    /// </summary>
    public static SharedAllReduce? Open(MpiWorld world, bool want)
    {
        var mpi = world.Mpi;
        int node = world.SplitNode();
        int size;
        mpi.Check(mpi.CommSize(node, &size), "MPI_Comm_size");
        // One node for the whole world, and every rank willing: else every rank keeps MPI's own path.
        long[] votes = world.AllGather([want && size == world.Size && Fits(SharedMemoryFree(), size) ? 1 : 0]);
        if (votes.All(v => v == 1))
            return new SharedAllReduce(mpi, node);
        mpi.CommFree(&node);
        return null;
    }

    /// <summary>
    /// Replaces <paramref name="length"/> elements of <paramref name="dtype"/> at <paramref name="data"/> by their
    /// sum or maximum over the ranks, at most <paramref name="chunk"/> elements a round (fewer where the buffer
    /// holds fewer).
    /// </summary>
    public void AllReduce(byte* data, long length, DType dtype, int chunk, bool max)
    {
        switch (dtype)
        {
            case DType.Float32:
                Reduce((float*)data, length, chunk, max);
                break;
            case DType.Float64:
                Reduce((double*)data, length, chunk, max);
                break;
            default:
                throw new NotSupportedException($"collectives move float32 and float64 tensors, not {dtype}");
        }
    }

    /// <summary>Parts start on cache lines, so that no two ranks write one line.</summary>
    private static long PartBytes(int ranks) => Math.Max(64, BufferBytes / ranks / 64 * 64);

    /// <summary>Free bytes of <c>/dev/shm</c>, where MPI maps shared windows; unknown counts as enough.</summary>
    private static long SharedMemoryFree()
    {
        try
        {
            return Directory.Exists("/dev/shm") ? new DriveInfo("/dev/shm").AvailableFreeSpace : long.MaxValue;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    public void Dispose()
    {
        if (window != Mpi.WinNull)
        {
            int win = window;
            window = Mpi.WinNull;
            mpi.Check(mpi.WinFree(&win), "MPI_Win_free");
        }
        if (node != Mpi.CommNull)
        {
            int comm = node;
            node = Mpi.CommNull;
            mpi.Check(mpi.CommFree(&comm), "MPI_Comm_free");
        }
    }

    private void Reduce<T>(T* data, long length, int chunk, bool max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (max)
            Run<T, MaxReduction>(data, length, chunk);
        else
            Run<T, SumReduction>(data, length, chunk);
    }

    /// <summary>
    /// Round k: reduce k, hand out the parts of k + 1, wait, gather k. Past round k − 1's wait every rank has
    /// reduced k − 1; past round k's, every rank has gathered k − 1. So round k + 1's buffer, round k − 1's, is
    /// free when written.
    /// </summary>
    private void Run<T, TReduce>(T* data, long length, int chunk)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
    {
        int size = segments.Length;
        chunk = (int)Math.Min(chunk, partBytes / sizeof(T) * size);
        Span<nint> parts = stackalloc nint[size];
        HandOut(data, (int)Math.Min(chunk, length), 0);
        Wait();
        int buffer = 0;
        for (long offset = 0; offset < length; offset += chunk, buffer ^= 1)
        {
            int count = (int)Math.Min(chunk, length - offset);
            T* round = data + offset;
            long start = Start(rank, count);
            for (int r = 0; r < size; r++)
                parts[r] = r == rank ? (nint)(round + start) : (nint)Part<T>(r, buffer, rank);
            // This rank's part, into the tensor and into the window for the others.
            RankReduction.Combine<T, TReduce>(parts, Length(rank, count), round + start, Part<T>(rank, buffer, rank));
            long next = offset + chunk;
            if (next < length)
                HandOut(data + next, (int)Math.Min(chunk, length - next), buffer ^ 1);
            Wait();
            for (int r = 0; r < size; r++)
            {
                if (r != rank)
                    Copy(Part<T>(r, buffer, r), round + Start(r, count), Length(r, count));
            }
        }
    }

    /// <summary>Copies the parts of a round that other ranks own to where they read them.</summary>
    private void HandOut<T>(T* round, int count, int buffer)
        where T : unmanaged
    {
        for (int r = 0; r < segments.Length; r++)
        {
            if (r != rank)
                Copy(round + Start(r, count), Part<T>(rank, buffer, r), Length(r, count));
        }
    }

    /// <summary>
    /// Returns once every rank has reached as many waits as this one: what they wrote before is seen here.
    /// </summary>
    private void Wait()
    {
        long reached = ++waits;
        // A full fence: the copies before it, non-temporal stores too, are seen before the count.
        Interlocked.Exchange(ref *(long*)segments[rank], reached);
        for (int r = 0; r < segments.Length; r++)
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref *(long*)segments[r]) < reached)
                spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Where rank <paramref name="part"/>'s part of a round begins: parts differ by one at most.</summary>
    private long Start(int part, int count) => (long)part * count / segments.Length;

    private long Length(int part, int count) => Start(part + 1, count) - Start(part, count);

    /// <summary>Where buffer <paramref name="buffer"/> of <paramref name="owner"/>'s segment keeps a part.</summary>
    private T* Part<T>(int owner, int buffer, int part)
        where T : unmanaged =>
        (T*)((byte*)segments[owner] + FlagBytes + (buffer * bufferBytes) + (part * partBytes));

    private static void Copy<T>(T* from, T* to, long count)
        where T : unmanaged
    {
        long bytes = count * sizeof(T);
        Buffer.MemoryCopy(from, to, bytes, bytes);
    }
}
