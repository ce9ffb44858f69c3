using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Data-parallel training, PyTorch's <c>DistributedDataParallel</c> in DeZero's style: a layer around a model that
/// keeps the model's parameters equal on every rank while each rank trains on its own share of each batch
/// (<see cref="Data.DataLoader.Shard(Collectives)"/>). Parameters start as rank 0's: those that exist when it is
/// made, and those a lazy layer makes on the first call, as it makes them, before anything uses them. Buffers
/// (running statistics) are rank 0's at the start of every call. Before each update the gradients are averaged over
/// the ranks (<see cref="AverageGradients"/>), so every rank's optimizer takes the same step. The same program runs
/// on one rank, where the average is the gradient itself.
/// </summary>
/// <remarks>
/// A wrapper, because a PyTorch user wraps the model and changes nothing else, and because the lazy layers' first
/// call must run through something that can broadcast what they make. A hook too, because DeZero's loop ends in
/// <c>optimizer.Update()</c> and the engine has no hook in the backward pass: <c>Setup(model)</c> makes the wrapper
/// the optimizer's first hook, so averaging runs inside the update, before clipping and decay, and a loop written
/// for one process needs no new line. Parameters and buffers keep the model's names (no <c>module/</c> prefix), so
/// weights and checkpoints move between one process and many. Use it from one thread, as the collectives.
/// </remarks>
/// <example><code>
/// using var ranks = Collectives.Start();
/// var model = new DataParallel(new Mlp([10, 3]), ranks);
/// var optimizer = new Sgd(1.0).Setup(model);         // averages gradients over the ranks, then steps
/// </code></example>
public sealed class DataParallel : Layer, IOptimizerHook
{
    /// <summary>The default bucket size, PyTorch's <c>bucket_cap_mb=25</c>.</summary>
    public const long DefaultBucketBytes = 25L << 20;

    private readonly HashSet<Variable> broadcast = new(VariableIdentity.Instance);
    private List<Variable>? parameters; // as the last call found them

    /// <summary>Wraps <paramref name="module"/>, whose parameters made so far become rank 0's now.</summary>
    /// <param name="module">The model; the same on every rank.</param>
    /// <param name="collectives">The ranks to average over.</param>
    /// <param name="bucketBytes">About how many bytes of gradients one all-reduce carries.</param>
    /// <exception cref="ArgumentOutOfRangeException">The bucket size is not positive.</exception>
    public DataParallel(Layer module, Collectives collectives, long bucketBytes = DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(collectives);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketBytes);
        Module = Wrapped(module);
        Collectives = collectives;
        BucketBytes = bucketBytes;
        BroadcastNew();
    }

    /// <summary>The wrapped model (PyTorch's <c>module</c>).</summary>
    public Layer Module { get; }

    /// <summary>The ranks that train together.</summary>
    public Collectives Collectives { get; }

    /// <summary>About how many bytes of gradients one all-reduce carries.</summary>
    public long BucketBytes { get; }

    /// <summary>
    /// Replaces the gradient of every parameter of the model (as its last call found them) that requires one by its
    /// mean over the ranks, packed in buckets of about <see cref="BucketBytes"/>. A parameter without a gradient on some rank (unused there) counts as zeros
    /// there; one without a gradient on every rank keeps none. Every rank must call it at the same point.
    /// <see cref="Optimizer.Update()"/> calls it when the optimizer was set up with this model.
    /// </summary>
    public void AverageGradients()
    {
        var trained = (parameters ?? Module.Params()).Where(p => p.RequiresGrad).Distinct().ToList();
        GradientBuckets.Average(Collectives, trained, BucketBytes);
    }

    /// <summary>Averages the gradients over the ranks (<see cref="AverageGradients"/>), whatever is given.</summary>
    void IOptimizerHook.Apply(IReadOnlyList<Variable> parameters) => AverageGradients();

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A parameter appeared outside a registered slot.</exception>
    protected override Variable Forward(Variable[] inputs)
    {
        // Later, new parameters are seen as a slot makes them; the check below finds any other.
        if (parameters is null)
            BroadcastNew();
        foreach (var (_, buffer) in Module.NamedBuffers())
            Collectives.Broadcast(buffer);
        Variable y;
        using (WatchingParameters(Broadcast))
            y = Module.Call(inputs);
        var found = Module.NamedParams().ToList();
        foreach (var (name, p) in found)
        {
            if (!broadcast.Contains(p))
            {
                throw new InvalidOperationException(
                    $"{nameof(DataParallel)}: parameter '{name}' appeared outside a slot registered with " +
                    "Parameter(name), during a call or between calls, so each rank may hold its own values: make " +
                    "it in the constructor, or register it");
            }
        }
        parameters = [.. found.Select(p => p.Parameter)];
        return y;
    }

    /// <summary>Makes every parameter not seen yet rank 0's.</summary>
    private void BroadcastNew()
    {
        foreach (var p in Module.Params())
        {
            if (!broadcast.Contains(p))
                Broadcast(p);
        }
    }

    private void Broadcast(Variable parameter)
    {
        if (!parameter.Device.SharesAcceleratorWith(Collectives.Device))
        {
            throw new ArgumentException(
                $"{nameof(DataParallel)}: {parameter.Describe()} is on {parameter.Device.Id}, but this rank computes " +
                $"on {Collectives.Device.Id}: make or move the model there");
        }
        Collectives.Broadcast(parameter.Data);
        broadcast.Add(parameter);
    }
}
