namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// This process's place in the MPI job: MPI started once per process (errors returned as codes, not fatal), the
/// rank and size of the world, and the rank and size on this node. The last user to leave finalizes MPI, which
/// cannot start again in the same process.
/// </summary>
internal sealed unsafe class MpiWorld
{
    private static readonly Lock Gate = new();
    private static MpiWorld? current;

    private readonly bool started;
    private int users;

    private MpiWorld(Mpi mpi, Launcher launcher)
    {
        Mpi = mpi;
        int flag;
        mpi.Check(mpi.Finalized(&flag), "MPI_Finalized");
        if (flag != 0)
        {
            throw new InvalidOperationException(
                "MPI was finalized in this process (a Collectives was disposed) and cannot start again: " +
                "start one Collectives for the whole job");
        }
        mpi.Check(mpi.Initialized(&flag), "MPI_Initialized");
        if (flag == 0)
        {
            int provided;
            mpi.Check(mpi.InitThread(null, null, Mpi.ThreadMultiple, &provided), "MPI_Init_thread");
            started = true;
        }
        // Errors come back as codes that become exceptions, instead of MPI ending the job on the spot.
        mpi.Check(mpi.CommSetErrhandler(Mpi.CommWorld, Mpi.ErrorsReturn), "MPI_Comm_set_errhandler");
        int rank, size;
        mpi.Check(mpi.CommRank(Mpi.CommWorld, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(Mpi.CommWorld, &size), "MPI_Comm_size");
        if (rank != launcher.Rank || size != launcher.Size)
        {
            throw new CollectiveException(
                $"MPI says rank {rank} of {size}, the launcher said rank {launcher.Rank} of {launcher.Size}: " +
                "was the program started by another MPI's launcher?");
        }
        Rank = rank;
        Size = size;
        (LocalRank, LocalSize) = launcher is { LocalRank: int lr, LocalSize: int ls } ? (lr, ls) : Node();
    }

    public Mpi Mpi { get; }

    public int Rank { get; }

    public int Size { get; }

    /// <summary>This rank's index among the ranks on its node.</summary>
    public int LocalRank { get; }

    /// <summary>The number of ranks on this node.</summary>
    public int LocalSize { get; }

    /// <summary>The MPI world, started on first use.</summary>
    public static MpiWorld Join(Launcher launcher)
    {
        lock (Gate)
        {
            current ??= new MpiWorld(Mpi.Library, launcher);
            current.users++;
            return current;
        }
    }

    /// <summary>The world while some user holds it, for the failure handler.</summary>
    public static MpiWorld? Current
    {
        get
        {
            lock (Gate)
                return current;
        }
    }

    /// <summary>One user is done; the last finalizes MPI if this process started it.</summary>
    public void Leave()
    {
        lock (Gate)
        {
            if (--users > 0)
                return;
            current = null;
            if (started)
                Mpi.Check(Mpi.Finalize(), "MPI_Finalize");
        }
    }

    /// <summary>Ends every rank of the job (MPI_Abort): the launcher kills the others.</summary>
    public void Abort(int code) => Mpi.Abort(Mpi.CommWorld, code);

    /// <summary>
    /// Makes an exception that nothing catches end the whole job: it is printed with this rank's number, then
    /// MPI_Abort stops every rank, so that none waits for this one forever. Installed once per process.
    /// </summary>
    public static void AbortOnUnhandledException()
    {
        if (Interlocked.Exchange(ref abortInstalled, 1) == 0)
            AppDomain.CurrentDomain.UnhandledException += (_, e) => AbortJob(e.ExceptionObject);
    }

    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(0.5);

    private static int abortInstalled;


    private static void AbortJob(object exception)
    {
        var world = Current;
        // One write: MPI_Abort may end the process before a second one reaches the launcher.
        string rank = world?.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
        Console.Error.WriteLine($"rank {rank} aborts the job (MPI_Abort) on an unhandled {exception}");
        Console.Error.Flush();
        // The launcher stops forwarding output once it aborts the job: give it time to pass this on.
        Thread.Sleep(AbortGrace);

        world?.Abort(1);
    }

    /// <summary>Every rank's <paramref name="mine"/>, in rank order (all of the same length).</summary>
    public long[] AllGather(long[] mine)
    {
        var all = new long[mine.Length * Size];
        fixed (long* send = mine, receive = all)
        {
            int count = mine.Length;
            Mpi.Check(
                Mpi.Allgather(send, count, Mpi.Int64, receive, count, Mpi.Int64, Mpi.CommWorld), "MPI_Allgather");

        }
        return all;
    }

    /// <summary>Copies rank <paramref name="root"/>'s bytes into every rank's <paramref name="bytes"/>.</summary>
    public void Broadcast(Span<byte> bytes, int root)
    {
        fixed (byte* p = bytes)
            Mpi.Check(Mpi.Bcast(p, bytes.Length, Mpi.Byte, root, Mpi.CommWorld), "MPI_Bcast");
    }

    /// <summary>Returns once every rank has called it.</summary>
    public void Barrier() => Mpi.Check(Mpi.Barrier(Mpi.CommWorld), "MPI_Barrier");

    /// <summary>
    /// A new communicator of the ranks that share this node's memory, in world order (free it with
    /// <c>MPI_Comm_free</c>). Every rank must call it.
    /// </summary>
    public int SplitNode()
    {
        int node;
        Mpi.Check(
            Mpi.CommSplitType(Mpi.CommWorld, Mpi.CommTypeShared, Rank, Mpi.InfoNull, &node), "MPI_Comm_split_type");
        return node;
    }

    /// <summary>Rank and size on this node, from a communicator of the ranks that share its memory.</summary>
    private (int Rank, int Size) Node()
    {
        int node = SplitNode();
        int rank, size;
        try
        {
            Mpi.Check(Mpi.CommRank(node, &rank), "MPI_Comm_rank");
            Mpi.Check(Mpi.CommSize(node, &size), "MPI_Comm_size");
        }
        finally
        {
            Mpi.CommFree(&node);
        }
        return (rank, size);
    }
}
