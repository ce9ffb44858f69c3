using System.Globalization;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// The launcher that started this process, read from the environment it sets: MPICH's Hydra (<c>mpiexec</c>) and
/// other PMI launchers set <c>PMI_RANK</c> and <c>PMI_SIZE</c>, Hydra also <c>MPI_LOCALRANKID</c> and
/// <c>MPI_LOCALNRANKS</c>. Local rank and size are null where the launcher does not say them.
/// </summary>
internal sealed record Launcher(string Name, int Rank, int Size, int? LocalRank, int? LocalSize)
{
    /// <summary>The launcher of this process, or null when none started it (one rank, no MPI needed).</summary>
    /// <exception cref="NotSupportedException">Open MPI's <c>mpirun</c> started it: its library has another
    /// ABI.</exception>
    /// <exception cref="InvalidOperationException">A launcher variable holds no valid number (the message names
    /// it).</exception>
    public static Launcher? Detect() => Detect(Environment.GetEnvironmentVariable);

    /// <summary><see cref="Detect()"/> over the variables <paramref name="read"/> returns.</summary>
    public static Launcher? Detect(Func<string, string?> read)
    {
        if (read("OMPI_COMM_WORLD_SIZE") is { Length: > 0 } ompi)
        {
            throw new NotSupportedException(
                $"this process was started by Open MPI's mpirun (OMPI_COMM_WORLD_SIZE={ompi}); AutoDiff.Gpu binds " +
                "MPICH's ABI (libmpich.so.12: MPICH, Intel MPI, MVAPICH), not Open MPI's: start the job with " +
                "MPICH's mpiexec (apt-get install mpich)");
        }
        if (read("PMI_SIZE") is not { Length: > 0 } size)
            return null;
        int ranks = Number("PMI_SIZE", size, least: 1);
        int rank = Number("PMI_RANK", read("PMI_RANK"), least: 0);
        if (rank >= ranks)
            throw new InvalidOperationException($"PMI_RANK={rank} is not below PMI_SIZE={ranks}");
        int? localRank = read("MPI_LOCALRANKID") is { Length: > 0 } lr ? Number("MPI_LOCALRANKID", lr, 0) : null;
        int? localSize = read("MPI_LOCALNRANKS") is { Length: > 0 } ls ? Number("MPI_LOCALNRANKS", ls, 1) : null;
        return new Launcher("PMI (mpiexec)", rank, ranks, localRank, localSize);
    }

    private static int Number(string name, string? text, int least)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < least)
        {
            throw new InvalidOperationException(
                $"the launcher set {name}='{text}': expected a whole number ≥ {least}");
        }

        return value;
    }
}
