using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Collectives between ranks under <c>mpiexec</c> on the CPU accelerator: each rank checks every result against
/// the same computation done in one process (tests/AutoDiff.Gpu.Distributed.Runner), and a rank that disagrees,
/// throws or dies ends the job with an error, never a hang. Skipped with a reason where MPICH is not installed.
/// </summary>
public sealed class DistributedTests
{
    /// <summary>Past this a job counts as hung (four ranks of .NET start in a few seconds on two cores).</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>A job that must fail ends within this.</summary>
    private static readonly TimeSpan FailureLimit = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_collective_matches_one_process_in_both_types_every_op_and_across_chunks(int ranks)
    {
        string[] scenarios = ["allreduce", "broadcast", "allgather", "reducescatter", "pending", "barrier"];

        var run = MpiJob.Run(ranks, Limit, null, scenarios);

        run.AssertPassed(ranks, scenarios);
        Assert.Contains($"rank 0/{ranks} mpi cpu:0: broadcast ok (48 cases, roots 0 and {ranks - 1})", run.Output);
        Assert.Contains($"rank 0/{ranks} mpi cpu:0: allreduce ok (144 cases, 48 through shared memory)", run.Output);
    }

    [Fact]
    public void All_reduces_keep_to_mpi_when_shared_memory_is_turned_off()
    {
        var off = new Dictionary<string, string> { [MpiBackend.SharedMemoryVariable] = "0" };

        var run = MpiJob.Run(2, Limit, off, "allreduce");

        run.AssertPassed(2, "allreduce");
        Assert.Contains("rank 1/2 mpi cpu:0: allreduce ok (96 cases, 0 through shared memory)", run.Output);
    }

    [Fact]
    public void Ranks_on_one_node_take_local_ranks_and_share_its_cores()
    {
        // Eight cores as .NET sees them: each of two ranks takes four.
        var run = MpiJob.Run(2, Limit, new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = "8" }, "devices");

        run.AssertPassed(2, "devices");
        for (int rank = 0; rank < 2; rank++)
        {
            string line = run.Passed("devices", rank).Single();
            Assert.Contains($"(local {rank}/2, CPU accelerator, 4 threads, 8 cores)", line);
        }
    }

    [Theory]
    [InlineData("mismatch-shape", "rank 1 calls AllReduce(Sum) of float32 (11,)")]
    [InlineData("mismatch-dtype", "rank 1 calls AllReduce(Sum) of float64 (10,)")]
    public void A_call_that_differs_between_ranks_is_an_error_naming_both(string scenario, string message)
    {
        var run = MpiJob.Run(2, FailureLimit, null, scenario);

        run.AssertFailed();
        Assert.Contains("CollectiveException: AllReduce on rank ", run.Output);
        Assert.Contains($"the ranks disagree: rank 0 calls AllReduce(Sum) of float32 (10,), {message}", run.Output);
    }

    [Fact]
    public void A_rank_that_throws_prints_its_exception_and_aborts_the_job()
    {
        var run = MpiJob.Run(2, FailureLimit, null, "throw");

        run.AssertFailed();
        string unhandled = "unhandled System.InvalidOperationException: rank 1 fails on purpose";
        Assert.Contains($"rank 1 aborts the job (MPI_Abort) on an {unhandled}", run.Output);

        Assert.DoesNotContain("the job went on", run.Output);
    }

    [Theory]
    [InlineData("kill")]
    [InlineData("failfast")]
    public void A_rank_that_dies_ends_the_job_with_an_error(string scenario)
    {
        var run = MpiJob.Run(2, FailureLimit, null, scenario);

        run.AssertFailed();
        Assert.Contains("rank 1 fails now", run.Output);
        Assert.DoesNotContain("the job went on", run.Output);
    }
}
