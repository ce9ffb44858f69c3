using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Collectives in one process: one rank without a launcher (every collective the identity), how a launcher is
/// recognized, how the ranks' calls are compared, and the clear errors of a backend that cannot run here.
/// </summary>
public sealed class CollectivesTests(CpuFixture cpu) : IClassFixture<CpuFixture>
{
    [Fact]
    public void Without_a_launcher_one_rank_sees_every_collective_as_the_identity()
    {
        using var c = Collectives.Start(cpu.Require(), backendName: null);
        var x = cpu.Require().FromArray(new float[] { 1, -2, 3, 4.5f, 5, 6 }, 3, 2);

        c.AllReduce(x, ReduceOp.Mean);
        c.AllReduce(x, ReduceOp.Max);
        c.Broadcast(x, root: 0);
        var gathered = c.AllGather(x);
        var part = c.ReduceScatter(x);
        c.Barrier();

        Assert.Equal(("single", 0, 1, true, 0, 1), (c.Backend, c.Rank, c.Size, c.IsRoot, c.LocalRank, c.LocalSize));
        Assert.Equal(new float[] { 1, -2, 3, 4.5f, 5, 6 }, x.ToArray<float>());
        Assert.Equal(x.Shape, gathered.Shape);
        Assert.Equal(x.ToArray<float>(), gathered.ToArray<float>());
        Assert.Equal(x.ToArray<float>(), part.ToArray<float>());
    }

    [Fact]
    public void Bad_calls_are_clear_errors_even_on_one_rank()
    {
        var device = cpu.Require();
        var c = Collectives.Start(device, backendName: null);
        var scalar = device.Scalar(1.0);

        var root = Assert.Throws<ArgumentOutOfRangeException>(() => c.Broadcast(device.Ones(2), root: 1));
        var axis = Assert.Throws<ArgumentException>(() => c.AllGather(scalar));
        var op = Assert.Throws<ArgumentOutOfRangeException>(() => c.AllReduce(device.Ones(2), (ReduceOp)7));
        c.Dispose();
        Assert.Throws<ObjectDisposedException>(() => c.AllReduce(device.Ones(2)));

        Assert.Contains("root must be a rank from 0 to 0", root.Message, StringComparison.Ordinal);
        Assert.Contains("AllGather: a scalar has no first axis", axis.Message, StringComparison.Ordinal);
        Assert.Contains("not a ReduceOp", op.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hydra_is_recognized_by_its_variables_and_open_mpi_is_refused_by_name()
    {
        var hydra = new Dictionary<string, string>
        {
            ["PMI_RANK"] = "3", ["PMI_SIZE"] = "4", ["MPI_LOCALRANKID"] = "1", ["MPI_LOCALNRANKS"] = "2",
        };
        var plain = new Dictionary<string, string> { ["PMI_RANK"] = "0", ["PMI_SIZE"] = "2" };
        var openMpi = new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "2" };
        var broken = new Dictionary<string, string> { ["PMI_RANK"] = "x", ["PMI_SIZE"] = "2" };

        Assert.Null(Launcher.Detect(_ => null));
        Assert.Equal(new Launcher("PMI (mpiexec)", 3, 4, 1, 2), Launcher.Detect(hydra.GetValueOrDefault));
        Assert.Equal(new Launcher("PMI (mpiexec)", 0, 2, null, null), Launcher.Detect(plain.GetValueOrDefault));
        var refused = Assert.Throws<NotSupportedException>(() => Launcher.Detect(openMpi.GetValueOrDefault));
        Assert.Contains("Open MPI's mpirun (OMPI_COMM_WORLD_SIZE=2)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("MPICH's mpiexec", refused.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<InvalidOperationException>(() => Launcher.Detect(broken.GetValueOrDefault));
        Assert.Contains("PMI_RANK='x'", bad.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("float32", 5, "AllReduce(Mean) of float32 (3, 4)", "AllReduce(Mean) of float32 (3, 5)")]
    [InlineData("float64", 4, "AllReduce(Mean) of float32 (3, 4)", "AllReduce(Mean) of float64 (3, 4)")]
    public void Calls_that_differ_name_both_ranks(string otherType, int otherColumns, string first, string second)
    {
        var mine = new CollectiveCall("AllReduce", ReduceOp.Mean, DType: DType.Float32, Shape: new Shape(3, 4));
        var other = mine with { DType = DTypeExtensions.Parse(otherType), Shape = new Shape(3, otherColumns) };

        var e = Assert.Throws<CollectiveException>(() => mine.Agree(new TwoRanks(other)));

        Assert.Equal($"AllReduce on rank 0: the ranks disagree: rank 0 calls {first}, rank 1 calls {second}",
            e.Message);
    }

    [Fact]
    public void Calls_compare_roots_operations_and_every_axis_of_many()
    {
        var many = new Shape(1, 2, 1, 2, 1, 2, 1, 2, 3);
        var gather = new CollectiveCall("AllGather", DType: DType.Float64, Shape: many);

        gather.Agree(new TwoRanks(gather));
        var other = gather with { Shape = new Shape(1, 2, 1, 2, 1, 2, 1, 3, 2) };
        var axes = Assert.Throws<CollectiveException>(() => gather.Agree(new TwoRanks(other)));
        var root = new CollectiveCall("Broadcast", Root: 0);
        var roots = Assert.Throws<CollectiveException>(() => root.Agree(new TwoRanks(root with { Root = 1 })));
        var barrier = new CollectiveCall("Barrier");
        var kinds = Assert.Throws<CollectiveException>(() => barrier.Agree(new TwoRanks(gather)));


        Assert.Contains("of float64 of 9 axes and 48 elements", axes.Message, StringComparison.Ordinal);
        Assert.Contains("rank 0 calls Broadcast from rank 0, rank 1 calls Broadcast from rank 1", roots.Message,
            StringComparison.Ordinal);
        Assert.Contains("rank 0 calls Barrier, rank 1 calls AllGather of float64", kinds.Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nccl", "the nccl backend moves CUDA tensors; this rank computes on cpu:0")]
    [InlineData("mpi", "AUTODIFF_COLLECTIVES=mpi needs a launcher: start the program with mpiexec -n N")]
    [InlineData("gloo", "AUTODIFF_COLLECTIVES='gloo' names no backend: use single, mpi, nccl")]
    public void A_backend_that_cannot_run_here_is_a_clear_error(string backend, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => Collectives.Start(cpu.Require(), backend));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_nccl_installed_the_error_lists_where_it_was_looked_for()
    {
        if (Nccl.TryLoad(out string? reason))
            Assert.Skip("NCCL is installed here");

        Assert.Contains("NCCL (libnccl.so.2) is not installed or not found (tried libnccl.so.2, libnccl.so,", reason,
            StringComparison.Ordinal);

        Assert.Contains("or set AUTODIFF_NCCL to the library's path", reason, StringComparison.Ordinal);
    }

    /// <summary>A backend of two ranks: this one is rank 0, and rank 1 made <paramref name="other"/>.</summary>
    private sealed class TwoRanks(CollectiveCall other) : ICollectiveBackend
    {
        public string Name => "two";

        public int Rank => 0;

        public int Size => 2;

        public long[] Exchange(long[] mine) => [.. mine, .. other.Encode()];

        public void AllReduce(Tensor tensor, bool max) => throw new NotSupportedException();

        public void Broadcast(Tensor tensor, int root) => throw new NotSupportedException();

        public void AllGather(Tensor input, Tensor output) => throw new NotSupportedException();

        public void ReduceScatter(Tensor input, Tensor output, bool max) => throw new NotSupportedException();

        public void Barrier() => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
