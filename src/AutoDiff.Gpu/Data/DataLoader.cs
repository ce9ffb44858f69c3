using System.Collections;
using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Data;

/// <summary>One minibatch: inputs on the device, and labels (classification) or targets (regression).</summary>
/// <param name="X">The batch's inputs, rows of the data set's tensor.</param>
/// <param name="Labels">The batch's class labels, when the loader has labels.</param>
/// <param name="Targets">The batch's target rows on the device, when the loader has targets.</param>
public sealed record Batch(Variable X, int[]? Labels, Variable? Targets);

/// <summary>Where a <see cref="DataLoader"/> stands, as a checkpoint saves it.</summary>
/// <param name="Seed">The seed from which each epoch's order is drawn.</param>
/// <param name="Epochs">Epochs started so far.</param>
/// <param name="Order">The current epoch's order of rows, or null before the first.</param>
/// <param name="Batches">Batches of the current epoch handed out so far.</param>
public sealed record DataLoaderState(int Seed, long Epochs, int[]? Order, int Batches);

/// <summary>
/// DeZero's <c>DataLoader</c> over a data set that stays on the device: each epoch visits the rows in a new random
/// order when <see cref="Shuffle"/> (else in order) and yields minibatches of <see cref="BatchSize"/> rows (the last
/// may be smaller), gathered on the device by one launch each, so no batch crosses from the host but its row numbers.
/// As DeZero's iterator, an enumeration goes on with the epoch where the last one stopped, or starts the next epoch;
/// epoch e's order is drawn from (seed, e) alone, so <see cref="State"/> resumes a run exactly. A loader sharded over
/// N ranks (<see cref="Shard(Collectives)"/>) yields on rank r the r-th of N equal parts of each batch, so the ranks
/// together see, step by step, the rows one process sees.
/// </summary>
public sealed class DataLoader : IEnumerable<Batch>
{
    private readonly Tensor x;
    private readonly int[]? labels;
    private readonly Tensor? targets;
    private DataLoaderState state;
    private bool seeded;

    /// <summary>
    /// Batches of rows of <paramref name="x"/> (N, …) with their class <paramref name="labels"/> (N).
    /// </summary>
    public DataLoader(Tensor x, int[] labels, int batchSize, bool shuffle = true, int? seed = null)
        : this(x, labels, null, batchSize, shuffle, seed, 0, 1)
    {
    }

    /// <summary>
    /// Batches of rows of <paramref name="x"/> (N, …) with the same rows of <paramref name="targets"/> (N, …).
    /// </summary>
    public DataLoader(Tensor x, Tensor targets, int batchSize, bool shuffle = true, int? seed = null)
        : this(x, null, targets, batchSize, shuffle, seed, 0, 1)
    {
    }

    private DataLoader(
        Tensor x, int[]? labels, Tensor? targets, int batchSize, bool shuffle, int? seed, int rank, int ranks)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (x.Rank < 1)
            throw new ArgumentException($"DataLoader: the data must have rows, not shape {x.Shape}", nameof(x));
        int n = x.Shape[0];
        if (labels is not null && labels.Length != n)
            throw new ArgumentException($"DataLoader: {labels.Length} labels for {n} rows of {x.Shape}", nameof(labels));
        if (targets is not null && (targets.Rank < 1 || targets.Shape[0] != n))
            throw new ArgumentException($"DataLoader: targets {targets.Shape} for {n} rows of {x.Shape}", nameof(targets));
        (this.x, this.labels, this.targets) = (x, labels is null ? null : (int[])labels.Clone(), targets);
        BatchSize = batchSize;
        Shuffle = shuffle;
        state = new DataLoaderState(seed ?? Random.Shared.Next(), 0, null, 0);
        seeded = seed is not null;
        (Rank, Ranks) = (rank, ranks);
    }

    /// <summary>Rows per batch over all ranks; each rank's batches hold BatchSize / <see cref="Ranks"/>.</summary>
    public int BatchSize { get; }

    /// <summary>The part of each batch this loader yields, from 0 to <see cref="Ranks"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>The number of parts each batch is split into: 1 unless sharded.</summary>
    public int Ranks { get; }

    /// <summary>Whether each epoch visits the rows in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Batches per epoch.</summary>
    public int Count => (x.Shape[0] + BatchSize - 1) / BatchSize;

    /// <summary>
    /// The seed, the epochs started, the current epoch's order and the batches of it handed out; setting it makes the
    /// next batches those that followed that point. It is the same on every rank, and fits a loader sharded over any
    /// number of ranks.
    /// </summary>
    /// <exception cref="ArgumentException">The order is not a permutation of the rows, or the batch count not within the epoch.</exception>
    public DataLoaderState State
    {
        get => state with { Order = (int[]?)state.Order?.Clone() };
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            int n = x.Shape[0];
            if (value.Order is { } o && (o.Length != n || !o.Order().SequenceEqual(Enumerable.Range(0, n))))
                throw new ArgumentException($"DataLoader: the order of {o.Length} rows is not a permutation of the {n} rows", nameof(value));
            if (value.Epochs < 0 || value.Batches < 0 || value.Batches > Count || (value.Order is null && (value.Batches != 0 || value.Epochs != 0)))
                throw new ArgumentException($"DataLoader: {value.Batches} batches into epoch {value.Epochs} does not fit {Count} batches per epoch", nameof(value));
            state = value with { Order = (int[]?)value.Order?.Clone() };
            seeded = true;
        }
    }

    /// <summary>
    /// This loader sharded over the ranks of <paramref name="collectives"/>: a loader over the same rows, with rank 0's
    /// seed and this loader's state, whose batches are this rank's part of each batch (<see cref="Shard(int, int)"/>).
    /// Every rank must call it.
    /// </summary>
    /// <exception cref="ArgumentException">The batches do not split over the ranks.</exception>
    /// <exception cref="InvalidOperationException">This rank started an epoch with another seed.</exception>
    public DataLoader Shard(Collectives collectives)
    {
        ArgumentNullException.ThrowIfNull(collectives);
        int seed = (int)collectives.FromRoot(state.Seed);
        if (seed != state.Seed && state.Order is not null)
        {
            throw new InvalidOperationException(
                $"DataLoader.Shard: rank {collectives.Rank} started an epoch with seed {state.Seed}, rank 0's " +
                $"seed is {seed}: shard before the first epoch, or give every rank the same seed");
        }
        return Shard(collectives.Rank, collectives.Size, state with { Seed = seed });
    }

    /// <summary>
    /// A loader over the same rows, with this loader's seed and state, that yields part <paramref name="rank"/> of
    /// <paramref name="ranks"/> equal parts of each batch: rows <c>[start + rank·b, start + (rank + 1)·b)</c> of the
    /// epoch's order, for a batch of <c>ranks·b</c> rows from <c>start</c>. The loaders of all parts together yield
    /// this loader's batches. Each rank needs the same seed: give one to the constructor.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A batch, or the last batch of an epoch, does not split into <paramref name="ranks"/> equal parts.
    /// </exception>
    /// <exception cref="InvalidOperationException">The loader was made without a seed: each rank would draw its own.
    /// </exception>
    public DataLoader Shard(int rank, int ranks)
    {
        if (!seeded)
        {
            throw new InvalidOperationException(
                "DataLoader.Shard: the loader was made without a seed, so each rank would shuffle its own way: " +
                "pass the same seed on every rank, or shard with Shard(collectives)");
        }
        return Shard(rank, ranks, State);
    }

    private DataLoader Shard(int rank, int ranks, DataLoaderState from)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, ranks);
        int n = x.Shape[0];
        if (BatchSize % ranks != 0)
        {
            throw new ArgumentException(
                $"DataLoader: a batch of {BatchSize} rows does not split over {ranks} ranks: give a batch size that " +
                $"is a multiple of {ranks}", nameof(ranks));
        }
        if (n % BatchSize % ranks != 0)
        {
            throw new ArgumentException(
                $"DataLoader: the last batch of each epoch has {n % BatchSize} rows ({n} rows in batches of " +
                $"{BatchSize}), which do not split over {ranks} ranks: give a batch size that leaves a multiple of " +
                $"{ranks} rows, or none", nameof(ranks));
        }
        return new DataLoader(x, labels, targets, BatchSize, Shuffle, from.Seed, rank, ranks) { State = from };
    }

    /// <summary>The rest of the current epoch, or the next epoch when the current one is over.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        int n = x.Shape[0];
        if (state.Order is null || state.Batches >= Count)
            state = new DataLoaderState(state.Seed, state.Epochs + 1, OrderOf(state.Seed, state.Epochs), 0);
        while (state.Batches < Count)
        {
            int start = state.Batches * BatchSize;
            int part = (Math.Min(n, start + BatchSize) - start) / Ranks;
            var rows = state.Order![(start + (Rank * part))..(start + ((Rank + 1) * part))];
            // Gathered without a graph; the scope closes before the batch is handed out, so the caller's step records.
            Variable batchX;
            Variable? batchT;
            using (Config.NoGrad())
            {
                batchX = F.Take(new Variable(x), rows);
                batchT = targets is null ? null : F.Take(new Variable(targets), rows);
            }
            state = state with { Batches = state.Batches + 1 };
            yield return new Batch(batchX, labels is null ? null : Array.ConvertAll(rows, r => labels[r]), batchT);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Epoch <paramref name="epoch"/>'s order: shuffled by a generator seeded from (seed, epoch) alone.
    /// </summary>
    private int[] OrderOf(int seed, long epoch)
    {
        var order = Enumerable.Range(0, x.Shape[0]).ToArray();
        if (Shuffle)
        {
            // SplitMix64's finalizer mixes seed and epoch into the epoch's seed.
            ulong z = ((ulong)(uint)seed << 32) ^ (ulong)epoch;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            new Random((int)(z ^ (z >> 31))).Shuffle(order);
        }
        return order;
    }
}
