namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Data-parallel training and the sharded seed under <c>mpiexec</c> on the CPU accelerator, each rank checking its
/// results against one process (tests/AutoDiff.Gpu.Distributed.Runner, DataParallelScenarios): the spiral classifier
/// trains to one process's parameters, bit for bit on two ranks, where a + b is b + a; on four, MPI orders the
/// additions its own way, and the parameters stay within 10⁻¹⁴ (float64) and 10⁻⁶ (float32) of the largest.
/// Unused parameters, rank-0 checkpoints and the sharded seed too. Skipped with a reason where MPICH is absent.
/// </summary>
public sealed class DataParallelJobTests
{
    /// <summary>Past this a job counts as hung.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private static readonly string[] Scenarios =
        ["data-parallel", "data-parallel-unused", "data-parallel-checkpoint", "sharded-seed"];

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Data_parallel_training_and_the_sharded_seed_give_one_process_results(int ranks)
    {
        var run = MpiJob.Run(ranks, Limit, null, Scenarios);

        run.AssertPassed(ranks, Scenarios);
        string training = run.Passed("data-parallel", 0).Single();
        if (ranks == 2)
            Assert.Contains("float64: parts bit for bit, whole ", training, StringComparison.Ordinal);
        Assert.Contains("float32: parts ", training, StringComparison.Ordinal);
        string resumed = run.Passed("data-parallel-checkpoint", ranks - 1).Single();
        Assert.Contains("(resumed bit for bit)", resumed, StringComparison.Ordinal);
    }
}
