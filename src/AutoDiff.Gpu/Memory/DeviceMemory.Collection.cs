using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu;

// When the pool starts garbage collections, and how it takes back the blocks of unreachable tensors.
#pragma warning disable CA1001 // the recording is the caller's to dispose; the pool only refers to it
public sealed partial class DeviceMemory
#pragma warning restore CA1001
{
    private long EffectiveBudgetLocked()
    {
        long room = (limit ?? capacity) - liveAfterCollection;
        return Math.Min(budget, Math.Max(0, room / 2));
    }

    /// <summary>
    /// Runs a collection and takes back what it found. After an ephemeral one, escalates to a full one when the
    /// live bytes grew past both the budget and what the last full collection left (tensors that died old).
    /// </summary>
    private MemoryBlock? CollectAndRetake(long size, object owner, bool full)
    {
        int generation = full ? GC.MaxGeneration : 1;
        GC.Collect(generation, GCCollectionMode.Forced, blocking: true);
        bool escalate;
        lock (gate)
        {
            if (full)
                fullCollections++;
            else
                ephemeralCollections++;
            long before = allocated;
            SweepLocked();
            if (full && adaptiveBudget && before - allocated > budget / 2)
            {
                // Tensors died old: collections came too often for what the program drops between them.
                long ceiling = Math.Max(budget, ((limit ?? capacity) - allocated) / 2);
                budget = Math.Min(2 * budget, ceiling);
            }
            // Tensors that died after reaching the oldest generation only a full collection finds: once the
            // live bytes after ephemeral ones grew past both the budget and what the last full one left, run one.
            escalate = !full && allocated - liveAfterFullCollection > Math.Max(budget, liveAfterFullCollection);
            if (!escalate && TryTakeCachedLocked(size, owner) is { } hit)
                return hit;
        }
        return escalate ? CollectAndRetake(size, owner, full: true) : null;
    }

    /// <summary>Sweeps when a garbage collection (any, started by anyone) ran since the last sweep.</summary>
    private void SweepIfCollectedLocked()
    {
        if (GC.CollectionCount(0) != sweptAtCollection)
            SweepLocked();
    }

    /// <summary>
    /// Takes back the blocks whose tensors the GC found unreachable, and notes what is live now: after any
    /// collection, and after a full one (whoever started it).
    /// </summary>
    private void SweepLocked()
    {
        sweptAtCollection = GC.CollectionCount(0);
        int fullCount = GC.CollectionCount(GC.MaxGeneration);
        dead.Clear();
        deadLentAt.Clear();
        for (int i = lent.Count - 1; i >= 0; i--)
        {
            var block = lent[i];
            if (block.OwnerAlive)
                continue;
            RemoveLentLocked(block);
            dead.Add(block);
            deadLentAt.Add(block.LentAt);
        }
        // Cache them oldest first, so that the next requests reuse the blocks touched last, the likeliest to be
        // still in the processor's caches (what a loop that disposes gets for free). Sorted by their loan numbers
        // as keys: no comparison delegate per pair.
        CollectionsMarshal.AsSpan(deadLentAt).Sort(CollectionsMarshal.AsSpan(dead));
        foreach (var block in dead)
            CacheLocked(block);
        reclaimed += dead.Count;
        dead.Clear();
        liveAfterCollection = allocated;
        lentAfterCollection = lent.Count;
        if (fullCount != sweptAtFullCollection)
        {
            sweptAtFullCollection = fullCount;
            liveAfterFullCollection = allocated;
        }
    }
}
