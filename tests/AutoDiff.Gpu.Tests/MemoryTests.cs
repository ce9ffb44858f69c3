using System.Runtime.CompilerServices;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Device memory: the caching allocator, its statistics and the step-18 savings, counted in bytes (deterministic
/// on every device). Each test opens a fresh device so counts start at zero.
/// </summary>
public abstract class MemoryTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    /// <summary>One 100×100×100 float32 buffer: 4,000,000 bytes in a 4 MiB size class.</summary>
    private static readonly long Buffer = DeviceMemory.RoundSize(100 * 100 * 100 * sizeof(float));

    [Fact]
    public void Size_classes()
    {
        Assert.Equal(4L << 20, Buffer);
        Assert.Equal(512, DeviceMemory.RoundSize(1));
        Assert.Equal(1024, DeviceMemory.RoundSize(513));
        Assert.Equal(2L << 20, DeviceMemory.RoundSize((1L << 20) + 1));
        Assert.Equal(4L << 30, DeviceMemory.RoundSize(1024L * 1024 * 1024 * sizeof(float)));
    }

    [Fact]
    public void Freed_buffers_are_reused_without_a_device_allocation()
    {
        using var device = fixture.OpenFresh();
        device.Ones(100, 100, 100).Dispose();
        var before = device.Memory.Snapshot();
        Assert.Equal(0, before.AllocatedBytes);
        Assert.Equal(Buffer, before.ReservedBytes);

        using var again = device.Zeros(1000, 1000);
        var after = device.Memory.Snapshot();
        Assert.Equal(before.DeviceAllocations, after.DeviceAllocations);
        Assert.Equal(before.CachedAllocations + 1, after.CachedAllocations);
        Assert.Equal(Buffer, after.AllocatedBytes);
        Assert.All(again.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Statistics_peak_reset_and_empty_cache()
    {
        using var device = fixture.OpenFresh();
        var a = device.Ones(100, 100, 100);
        var b = device.Ones(100, 100, 100);
        Assert.Equal(2 * Buffer, device.Memory.PeakAllocatedBytes);
        b.Dispose();
        Assert.Equal(Buffer, device.Memory.AllocatedBytes);
        Assert.Equal(2 * Buffer, device.Memory.PeakAllocatedBytes);
        Assert.Equal(2 * Buffer, device.Memory.ReservedBytes);

        device.Memory.ResetPeak();
        Assert.Equal(Buffer, device.Memory.PeakAllocatedBytes);
        device.Memory.EmptyCache();
        Assert.Equal(Buffer, device.Memory.ReservedBytes);
        Assert.Equal(1f, a.ToArray<float>()[^1]);
    }

    [Fact]
    public void Seed_backward_peaks_at_six_buffers_and_frees_intermediate_grads_at_once()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        var x = new Variable(device.Ones(100, 100, 100));
        var y = Square(Square(Square(x)));
        Assert.Equal(4 * Buffer, device.Memory.AllocatedBytes);
        y.Backward();

        Assert.Equal(6 * Buffer, device.Memory.PeakAllocatedBytes);
        // x, the two intermediates, y and x.grad; every other gradient went back to the pool, no GC involved.
        Assert.Equal(5 * Buffer, device.Memory.AllocatedBytes);
        Assert.Equal(8.0, x.Grad!.ToDoubleArray()[12345]);
        GC.KeepAlive(y);
    }

    [Fact]
    public void Seed_backward_with_retainGrad_peaks_at_eight_buffers()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        var x = new Variable(device.Ones(100, 100, 100));
        var y = Square(Square(Square(x)));
        y.Backward(retainGrad: true);

        Assert.Equal(8 * Buffer, device.Memory.PeakAllocatedBytes);
        Assert.Equal(8 * Buffer, device.Memory.AllocatedBytes);
        Assert.NotNull(y.Grad);
    }

    [Fact]
    public void A_recording_shows_allocated_bytes_rise_and_fall()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        MemoryRecording recording;
        using (recording = device.Memory.StartRecording())
        {
            var x = new Variable(device.Ones(100, 100, 100));
            Square(Square(Square(x))).Backward();
        }
        var bytes = recording.Samples.Select(s => s.Bytes).ToArray();
        Assert.Equal(0, bytes[0]);
        Assert.Equal(6 * Buffer, bytes.Max());
        Assert.Equal(5 * Buffer, bytes[^1]);
        Assert.True(recording.Samples.Zip(recording.Samples.Skip(1)).All(p => p.First.Microseconds <= p.Second.Microseconds));
        Assert.Throws<InvalidOperationException>(() =>
        {
            using var first = device.Memory.StartRecording();
            using var second = device.Memory.StartRecording();
        });
    }

    [Fact]
    public void NoGrad_keeps_only_x_and_y_once_the_intermediates_are_collected()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        using (Config.NoGrad())
        {
            var (x, y) = ForwardChain(device);
            Collect();
            Assert.Equal(2 * Buffer, device.Memory.AllocatedBytes);
            Assert.Null(y.Creator);
            GC.KeepAlive(x);
        }
    }

    [Fact]
    public void With_backprop_the_graph_keeps_the_intermediates_until_y_is_dropped()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        var x = new Variable(device.Ones(100, 100, 100));
        var weakY = ForwardAndDrop(x);
        Collect();
        Assert.False(weakY.TryGetTarget(out _));
        Assert.Equal(Buffer, device.Memory.AllocatedBytes);
        // The pool swept the weak handles of the dead tensors: their blocks are cached, nothing freed on the device.
        Assert.Equal(4 * Buffer, device.Memory.ReservedBytes);
        Assert.Equal(3, device.Memory.Snapshot().ReclaimedTensors);
    }

    [Fact]
    public void Function_outputs_are_weak()
    {
        using var device = fixture.OpenFresh();
        var x = new Variable(device.Scalar(2.0));
        var function = OutputOfDroppedSquare(x);
        Collect();
        Assert.False(function.Outputs[0].TryGetTarget(out _));
        Assert.Same(x, function.Inputs[0]);
    }

    [Fact]
    public void Ten_thousand_seed_iterations_without_disposal_stay_bounded()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        long small = DeviceMemory.RoundSize(16 * sizeof(float));
        RunSmallSeedLoop(device, 1);
        Collect();
        device.Memory.EmptyCache();
        device.Memory.ResetPeak();
        long baseline = device.Memory.AllocatedBytes;

        RunSmallSeedLoop(device, 1);
        long iterationPeak = device.Memory.PeakAllocatedBytes - baseline;
        Assert.Equal(6 * small, iterationPeak);

        RunSmallSeedLoop(device, 10_000);
        Collect();
        Assert.Equal(baseline, device.Memory.AllocatedBytes);
        // Garbage builds up to the budget (64 MiB by default), far above what 10,000 tiny iterations drop.
        Assert.InRange(device.Memory.ReservedBytes, iterationPeak, iterationPeak + device.Memory.GarbageBudget);
    }

    [Fact]
    public void A_limit_makes_the_pool_collect_earlier_instead_of_failing()
    {
        using var device = fixture.OpenFresh();
        device.Memory.Limit = 12 * Buffer;
        Assert.True(device.Memory.GarbageBudget > 12 * Buffer);  // the default budget alone would not fit
        // 200 iterations of the seed at 100³ drop 5 buffers each: 4 GB of garbage through 48 MiB, where an
        // iteration holds 8 at its peak (6, and the previous x with its gradient until x is overwritten).
        for (int i = 0; i < 200; i++)
        {
            var x = new Variable(device.Ones(100, 100, 100));
            Square(Square(Square(x))).Backward();
        }
        var stats = device.Memory.Snapshot();
        // So tight a limit makes the pool collect at nearly every iteration; tensors then outlive two
        // collections and some only a full one finds: memory pressure, not the steady state of a loop.
        Assert.InRange(stats.ReservedBytes, 6 * Buffer, 12 * Buffer);
        Assert.True(stats.EphemeralCollections > 0);
        Assert.Equal(12 * Buffer, device.Memory.Limit);
    }

    [Fact]
    public void Budget_and_limit_reject_nonsense()
    {
        using var device = fixture.OpenFresh();
        Assert.Equal(DeviceMemory.DefaultBudget(device.Kind, device.MemorySize), device.Memory.GarbageBudget);
        Assert.InRange(device.Memory.GarbageBudget, DeviceMemory.MinDefaultBudget, DeviceMemory.MaxDefaultBudget);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => device.Memory.GarbageBudget = -1);
        Assert.Contains("GarbageBudget", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Memory.Limit = -5);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Memory.Limit = 0);
        Assert.Null(device.Memory.Limit);
        device.Memory.GarbageBudget = 0;
        Assert.Equal(0, device.Memory.GarbageBudget);
    }

    [Fact]
    public void Dispose_and_scopes_free_at_once()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        var x = new Variable(device.Ones(100, 100, 100));
        x.Dispose();
        Assert.Equal(0, device.Memory.AllocatedBytes);
        Assert.Throws<ObjectDisposedException>(() => Square(x));

        var kept = new Variable(device.Ones(100, 100, 100));
        Variable result;
        using (var scope = TensorScope.Begin())
        {
            var y = Square(Square(kept));
            y.Backward();
            result = scope.Keep(y);
            Assert.Equal(4 * Buffer, device.Memory.AllocatedBytes);
        }
        // Left: kept and its gradient (a leaf's gradient belongs to the leaf, not to the scope open during
        // Backward) and y's data; the intermediate made inside is freed.
        Assert.Equal(3 * Buffer, device.Memory.AllocatedBytes);
        Assert.Equal(1f, result.Data.ToArray<float>()[0]);
        Assert.Equal(4f, kept.Grad!.ToArray<float>()[0]);
        Square(kept).Backward();
        Assert.Equal(6f, kept.Grad!.ToArray<float>()[0]);
    }

    [Fact]
    public void Running_out_reclaims_garbage_then_fails_clearly_without_corrupting_data()
    {
        using var device = fixture.OpenFresh();
        device.Memory.Limit = 3 * Buffer;
        var a = device.Full(new Shape(100, 100, 100), 3, DType.Float32);
        for (int i = 0; i < 5; i++)
            DropTwoBuffers(device);   // garbage the pool must reclaim to stay under the limit
        var b = device.Ones(100, 100, 100);
        var c = device.Ones(100, 100, 100);

        var e = Assert.Throws<DeviceOutOfMemoryException>(() => device.Ones(100, 100, 100));
        Assert.Equal(Buffer, e.RequestedBytes);
        Assert.Equal(3 * Buffer, e.AllocatedBytes);
        Assert.Equal(3 * Buffer, e.ReservedBytes);
        Assert.Contains("out of memory", e.Message, StringComparison.Ordinal);
        Assert.All(a.ToArray<float>(), v => Assert.Equal(3f, v));

        c.Dispose();
        using var d = device.Ones(100, 100, 100);
        Assert.Equal(3 * Buffer, device.Memory.AllocatedBytes);
        GC.KeepAlive(b);
    }

    [Fact]
    public void The_allocator_is_thread_safe()
    {
        using var device = fixture.OpenFresh();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 2000; i++)
                device.Empty(new Shape(1 + (i % 300)), DType.Float32).Dispose();
        });
        var stats = device.Memory.Snapshot();
        Assert.Equal(0, stats.AllocatedBytes);
        // Small blocks are carved from one 2 MiB segment: at most one block per size class (512, 1024, 1536
        // bytes) per thread is ever carved, every other request is served from the cache.
        Assert.Equal(1, stats.DeviceAllocations);
        Assert.Equal(DeviceMemory.SegmentBytes, stats.ReservedBytes);
        Assert.InRange(stats.CachedAllocations, 8000 - 12, 8000 - 3);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Variable X, Variable Y) ForwardChain(Device device)
    {
        var x = new Variable(device.Ones(100, 100, 100));
        return (x, Square(Square(Square(x))));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<Variable> ForwardAndDrop(Variable x) => new(Square(Square(Square(x))));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Function OutputOfDroppedSquare(Variable x) => Square(x).Creator!;

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void DropTwoBuffers(Device device)
    {
        _ = device.Ones(100, 100, 100);
        _ = device.Ones(100, 100, 100);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunSmallSeedLoop(Device device, int iterations) => RunSeedLoop(device, 16, iterations);

    /// <summary>The seed written as its code is: no scope, no Dispose.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void RunSeedLoop(Device device, int n, int iterations)
    {
        for (int i = 0; i < iterations; i++)
        {
            var x = new Variable(device.Ones(n));
            var y = Square(Square(Square(x)));
            y.Backward();
        }
    }

    internal static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

public sealed class CpuMemoryTests(CpuFixture fixture) : MemoryTests<CpuFixture>(fixture);

public sealed class CudaMemoryTests(CudaFixture fixture) : MemoryTests<CudaFixture>(fixture);

public sealed class OpenCLMemoryTests(OpenCLFixture fixture) : MemoryTests<OpenCLFixture>(fixture);

/// <summary>
/// Counts of the collections the pool starts in a natural loop. They run alone: other tests' collections in the
/// same process would find the loop's tensors first, or age them into the oldest generation.
/// </summary>
public abstract class NaturalLoopTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private static readonly long Buffer = DeviceMemory.RoundSize(100 * 100 * 100 * sizeof(float));

    [Fact]
    public void Dead_tensors_are_found_by_any_collection_without_finalizers()
    {
        using var device = fixture.OpenFresh();
        // Settle the heap first: a collection that earlier tests' garbage starts while the two tensors are made (or a
        // background one still running) could age them past what one ephemeral collection looks at.
        MemoryTests<TFixture>.Collect();
        MemoryTests<TFixture>.DropTwoBuffers(device);
        Assert.Equal(2 * Buffer, device.Memory.AllocatedBytes);
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);    // an ephemeral collection is enough
        var stats = device.Memory.Snapshot();
        Assert.Equal(0, stats.AllocatedBytes);
        Assert.Equal(2, stats.ReclaimedTensors);
        Assert.Equal(0, stats.Collections);
    }

    [Fact]
    public void A_natural_loop_is_reclaimed_by_ephemeral_collections_within_the_budget()
    {
        using var eager = Config.NoFusion(); // step 18's buffers: one kernel and one result per function
        using var device = fixture.OpenFresh();
        const int n = 300_000;                                 // 1,200,000 bytes: a 2 MiB block of its own
        long block = DeviceMemory.RoundSize(n * sizeof(float));
        Assert.Equal(2_097_152, block);
        device.Memory.GarbageBudget = 10 * block;              // 10 blocks of garbage before a collection
        MemoryTests<TFixture>.RunSeedLoop(device, n, 20);      // warm-up: kernels compiled, budget filled once
        MemoryTests<TFixture>.Collect();
        var before = device.Memory.Snapshot();

        MemoryTests<TFixture>.RunSeedLoop(device, n, 1000);
        var after = device.Memory.Snapshot();
        // Each iteration drops x, three squares and x.grad (5 blocks); the budget holds 10: a collection every
        // few iterations, every one of them ephemeral. How many the pool starts depends on the collections the
        // runtime ran meanwhile (the pool sweeps after those too), so only the bounds are exact: at least one,
        // at most one per iteration.
        Assert.Equal(0, after.FullCollections - before.FullCollections);
        Assert.InRange(after.EphemeralCollections - before.EphemeralCollections, 1, 1000);
        Assert.True(after.ReclaimedTensors - before.ReclaimedTensors >= 4000, $"{after.ReclaimedTensors - before.ReclaimedTensors} tensors reclaimed");
        // Live at the peak of an iteration: 6 blocks, and the previous x with its gradient until the loop's
        // variable is overwritten (as in Python); plus the budget, plus one request that crossed it.
        Assert.InRange(after.ReservedBytes, 6 * block, (8 * block) + (10 * block) + block);

        MemoryTests<TFixture>.Collect();
        Assert.Equal(before.AllocatedBytes, device.Memory.AllocatedBytes);
    }
}

[Collection(nameof(ProcessEnvironment))]
public sealed class CpuNaturalLoopTests(CpuFixture fixture) : NaturalLoopTests<CpuFixture>(fixture);

[Collection(nameof(ProcessEnvironment))]
public sealed class CudaNaturalLoopTests(CudaFixture fixture) : NaturalLoopTests<CudaFixture>(fixture);

[Collection(nameof(ProcessEnvironment))]
public sealed class OpenCLNaturalLoopTests(OpenCLFixture fixture) : NaturalLoopTests<OpenCLFixture>(fixture);
