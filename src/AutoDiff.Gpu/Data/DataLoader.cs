using System.Collections;

namespace AutoDiff.Gpu.Data;

/// <summary>One minibatch: inputs on the device, and labels (classification) or targets (regression).</summary>
/// <param name="X">The batch's inputs, rows of the data set's tensor.</param>
/// <param name="Labels">The batch's class labels, when the loader has labels.</param>
/// <param name="Targets">The batch's target rows on the device, when the loader has targets.</param>
public sealed record Batch(Variable X, int[]? Labels, Variable? Targets);

/// <summary>
/// DeZero's <c>DataLoader</c> over a data set that stays on the device: each epoch (one enumeration) visits the rows in a
/// new random order when <see cref="Shuffle"/> (else in order) and yields minibatches of <see cref="BatchSize"/> rows
/// (the last may be smaller), gathered on the device by one launch each, so no batch crosses from the host but its
/// row numbers.
/// </summary>
public sealed class DataLoader : IEnumerable<Batch>
{
    private readonly Tensor x;
    private readonly int[]? labels;
    private readonly Tensor? targets;
    private readonly Random random;

    /// <summary>Batches of rows of <paramref name="x"/> (N, …) with their class <paramref name="labels"/> (N).</summary>
    public DataLoader(Tensor x, int[] labels, int batchSize, bool shuffle = true, int? seed = null)
        : this(x, labels, null, batchSize, shuffle, seed)
    {
    }

    /// <summary>Batches of rows of <paramref name="x"/> (N, …) with the same rows of <paramref name="targets"/> (N, …).</summary>
    public DataLoader(Tensor x, Tensor targets, int batchSize, bool shuffle = true, int? seed = null)
        : this(x, null, targets, batchSize, shuffle, seed)
    {
    }

    private DataLoader(Tensor x, int[]? labels, Tensor? targets, int batchSize, bool shuffle, int? seed)
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
        random = seed is { } s ? new Random(s) : new Random();
    }

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the rows in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Batches per epoch.</summary>
    public int Count => (x.Shape[0] + BatchSize - 1) / BatchSize;

    /// <summary>One epoch.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        int n = x.Shape[0];
        var order = Enumerable.Range(0, n).ToArray();
        if (Shuffle)
            random.Shuffle(order);
        for (int start = 0; start < n; start += BatchSize)
        {
            var rows = order[start..Math.Min(n, start + BatchSize)];
            // Gathered without a graph; the scope closes before the batch is handed out, so the caller's step records.
            Variable batchX;
            Variable? batchT;
            using (Config.NoGrad())
            {
                batchX = F.Take(new Variable(x), rows);
                batchT = targets is null ? null : F.Take(new Variable(targets), rows);
            }
            yield return new Batch(batchX, labels is null ? null : Array.ConvertAll(rows, r => labels[r]), batchT);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
