using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Tests;

/// <summary>The shared launch itself: every item runs once whoever claims it, and a body that fails fails on the launching thread.</summary>
public sealed class CpuSharedLaunchTests
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 7)]
    [InlineData(2, 100_003)]
    [InlineData(8, 9)]
    [InlineData(8, 1_000_000)]
    public void Every_item_runs_once(int threads, int items)
    {
        var counts = new int[items];
        unsafe
        {
            fixed (int* pointer = counts)
                CpuLaunch.Run(new CountingBody(pointer), items, threads);
        }
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void A_body_that_fails_on_any_thread_fails_on_the_launching_thread()
    {
        for (int round = 0; round < 50; round++)
        {
            var e = Assert.Throws<InvalidOperationException>(() => CpuLaunch.Run(new FailingBody(77_777), 100_000, 2));
            Assert.Contains("77777", e.Message, StringComparison.Ordinal);
        }
        var counts = new int[1000];
        unsafe
        {
            fixed (int* pointer = counts)
                CpuLaunch.Run(new CountingBody(pointer), counts.Length, 2);
        }
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    private readonly unsafe struct CountingBody(int* counts) : ICpuBody
    {
        private readonly int* counts = counts;

        public void Run(long start, long count)
        {
            for (long i = start; i < start + count; i++)
                Interlocked.Increment(ref counts[i]);
        }
    }

    private readonly struct FailingBody(long item) : ICpuBody
    {
        public void Run(long start, long count)
        {
            if (item >= start && item < start + count)
                throw new InvalidOperationException($"item {item} failed");
        }
    }
}

[CollectionDefinition(nameof(SharedLaunchAlone), DisableParallelization = true)]
public sealed class SharedLaunchAlone;

/// <summary>
/// A thread-pool worker joins a shared launch. It runs alone: with other tests in parallel, their launches can hold
/// the one slot helpers join, and their work can keep every pool thread busy, for seconds at a time.
/// </summary>
[Collection(nameof(SharedLaunchAlone))]
public sealed class CpuSharedLaunchHelperTests
{
    [Fact]
    public void A_thread_pool_worker_joins_a_shared_launch()
    {
        // Chunk 0 (the caller's) waits up to 2 s for another thread to run a chunk; a pool that is slow to
        // start a worker gets a few tries.
        bool helped = false;
        for (int attempt = 0; attempt < 5 && !helped; attempt++)
        {
            var seen = new HelpedBody.State();
            CpuLaunch.Run(new HelpedBody(seen, Environment.CurrentManagedThreadId), 8, 2);
            helped = seen.OtherThreads > 0;
        }
        Assert.True(helped, "no thread-pool worker ran a chunk of a shared launch in 5 tries of 2 s");
    }

    private readonly struct HelpedBody(HelpedBody.State state, int caller) : ICpuBody
    {
        public void Run(long start, long count)
        {
            if (Environment.CurrentManagedThreadId != caller)
            {
                Interlocked.Increment(ref state.OtherThreads);
                return;
            }
            var seen = state;
            if (start == 0)
                SpinWait.SpinUntil(() => Volatile.Read(ref seen.OtherThreads) > 0, TimeSpan.FromSeconds(2));
        }

        public sealed class State
        {
            public int OtherThreads;
        }
    }
}
