namespace AutoDiff.Gpu.Distributed;

// Joining the job: the launcher, MPI, this rank's device and the backend that moves its tensors.
public sealed partial class Collectives
{
    /// <summary>
    /// The environment variable that picks the backend: <c>nccl</c>, <c>mpi</c> or <c>single</c>. Unset, a job
    /// under a launcher takes NCCL where every rank has a GPU of its own and the library, else MPI; a process without
    /// a launcher is a single rank (<c>nccl</c> makes it a NCCL job of one rank).
    /// </summary>
    public const string BackendVariable = "AUTODIFF_COLLECTIVES";

    private static readonly string[] BackendNames = ["single", "mpi", "nccl"];

    /// <summary>Joins the job this process was started in, or makes a job of one rank without a launcher.</summary>
    /// <param name="device">
    /// The device to compute on; by default this rank's: <c>cuda:</c><see cref="LocalRank"/> where several GPUs are
    /// present, else the best device, whose CPU accelerator gets this rank's share of the node's cores.
    /// </param>
    /// <exception cref="NotSupportedException">Open MPI's <c>mpirun</c> started the process (MPICH's ABI is
    /// bound).</exception>
    /// <exception cref="DllNotFoundException">A launcher started the process but no MPI library is
    /// installed.</exception>
    public static Collectives Start(Device? device = null) =>
        Start(device, Environment.GetEnvironmentVariable(BackendVariable));

    /// <summary><see cref="Start(Device?)"/> with the backend named (null: chosen as the variable's doc
    /// says).</summary>
    internal static Collectives Start(Device? device, string? backendName)
    {
        string? asked = Parse(backendName);
        var launcher = Launcher.Detect();
        if (launcher is null || (asked == "single" && launcher.Size == 1))
            return Alone(device, asked);
        if (asked == "single")
        {
            throw new InvalidOperationException(
                $"{BackendVariable}=single, but the launcher started {launcher.Size} ranks: " +
                "unset it, or start one rank");
        }

        var world = MpiWorld.Join(launcher);
        bool owns = device is null;
        try
        {
            MpiWorld.AbortOnUnhandledException();
            device ??= RankDevice(world.LocalRank, world.LocalSize);
            var backend = Choose(asked, world, device);
            return new Collectives(backend, device, owns, world.LocalRank, world.LocalSize);
        }
        catch
        {
            if (owns)
                device?.Dispose();
            world.Leave();
            throw;
        }
    }

    /// <summary>One rank without a launcher: the identity, or NCCL's communicator of one when asked.</summary>
    private static Collectives Alone(Device? device, string? asked)
    {
        if (asked == "mpi")
        {
            throw new InvalidOperationException(
                $"{BackendVariable}=mpi needs a launcher: start the program with mpiexec -n N");
        }
        bool owns = device is null;
        device ??= Device.Best();
        try
        {
            ICollectiveBackend backend = asked == "nccl"
                ? NcclBackend.Create(null, device)
                : new SingleRankBackend(device);
            return new Collectives(backend, device, owns, 0, 1);
        }
        catch
        {
            if (owns)
                device.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The backend asked for, or by default NCCL where every rank computes on a GPU of its own and loads NCCL,
    /// else MPI. The ranks decide together, so that all of them take the same one.
    /// </summary>
    private static ICollectiveBackend Choose(string? asked, MpiWorld world, Device device)
    {
        if (asked == "nccl")
            return NcclBackend.Create(world, device);
        if (asked is null)
        {
            // NCCL refuses two ranks on one GPU.
            bool able = device.Kind == DeviceKind.Cuda && Nccl.TryLoad(out _)
                && world.LocalSize <= Device.List().Count(d => d.Kind == DeviceKind.Cuda);
            if (world.AllGather([able ? 1 : 0]).All(a => a == 1))
                return NcclBackend.Create(world, device);
        }
        return new MpiBackend(world, device);
    }

    /// <summary>
    /// This rank's device: as <see cref="Device.Best"/> picks it (or <see cref="Device.EnvironmentVariable"/>
    /// names it), except <c>cuda:</c><paramref name="localRank"/> (modulo the count) where several GPUs are present.
    /// Ranks on one node share its cores: each CPU accelerator gets its share (ILGPU's least is two threads).
    /// </summary>
    private static Device RankDevice(int localRank, int localSize)
    {
        Device.CpuCores = Math.Max(1, Environment.ProcessorCount / Math.Max(1, localSize));
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Device.EnvironmentVariable)))
            return Device.Best();
        int gpus = Device.List().Count(d => d.Kind == DeviceKind.Cuda);
        return gpus > 1 ? Device.Cuda(localRank % gpus) : Device.Best();
    }

    private static string? Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return null;
        string text = name.Trim().ToLowerInvariant();
        return BackendNames.Contains(text)
            ? text
            : throw new ArgumentException(
                $"{BackendVariable}='{name}' names no backend: use {string.Join(", ", BackendNames)}, " +
                "or leave it unset",

                nameof(name));

    }
}
