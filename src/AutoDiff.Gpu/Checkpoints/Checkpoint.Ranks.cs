using System.Runtime.ExceptionServices;
using AutoDiff.Gpu.Data;
using AutoDiff.Gpu.Distributed;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;

namespace AutoDiff.Gpu.Checkpoints;

/// <summary>
/// Checkpoints of a job of several ranks: rank 0 writes (the ranks hold the same model, so one copy is the state),
/// every rank reads. Each call ends with the ranks agreeing on its outcome, so that one rank's failure is an error on
/// every rank, never a rank left waiting.
/// </summary>
public static partial class Checkpoint
{
    /// <summary>
    /// Rank 0 saves as <see cref="Save(string, Layer, Optimizer?, DataLoader?, RandomGenerator?)"/> (atomically);
    /// the others wait until the file is whole. The random generator saved is rank 0's.
    /// </summary>
    /// <exception cref="IOException">
    /// On ranks other than 0: rank 0 could not write the file (rank 0 throws its own error).
    /// </exception>
    public static void Save(
        Collectives collectives, string path, Layer model, Optimizer? optimizer = null, DataLoader? loader = null,
        RandomGenerator? random = null)
    {
        ArgumentNullException.ThrowIfNull(collectives);
        var failure = collectives.IsRoot ? Try(() => Save(path, model, optimizer, loader, random)) : null;
        if (collectives.Count(failure is not null) == 0)
            return;
        failure?.Throw();
        throw new IOException($"{path}: rank 0 could not write the checkpoint (its error says why)");
    }

    /// <summary>
    /// Every rank loads the file, as <see cref="Load(string, Layer, Optimizer?, DataLoader?, RandomGenerator?)"/>: it
    /// must be where every rank can read it. Every rank's generator then stands where rank 0's stood (reseed per rank
    /// where ranks must draw different numbers). When a rank fails, every rank throws.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// This rank could not load the file (its own error), or another rank could not (on this rank).
    /// </exception>
    public static void Load(
        Collectives collectives, string path, Layer model, Optimizer? optimizer = null, DataLoader? loader = null,
        RandomGenerator? random = null)
    {
        ArgumentNullException.ThrowIfNull(collectives);
        var failure = Try(() => Load(path, model, optimizer, loader, random));
        int failed = collectives.Count(failure is not null);
        if (failed == 0)
            return;
        failure?.Throw();
        throw new InvalidDataException(
            $"{path}: {failed} of {collectives.Size} ranks could not load the checkpoint (their errors say why)");
    }

    /// <summary>Runs <paramref name="action"/>; returns its failure, to throw once the ranks agree.</summary>
    private static ExceptionDispatchInfo? Try(Action action)
    {
        try
        {
            action();
            return null;
        }
#pragma warning disable CA1031 // every failure must reach the other ranks before it is thrown here
        catch (Exception e)
#pragma warning restore CA1031
        {
            return ExceptionDispatchInfo.Capture(e);
        }
    }
}
