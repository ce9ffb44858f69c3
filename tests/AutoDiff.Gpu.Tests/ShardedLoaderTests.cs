using AutoDiff.Gpu.Data;
using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// A data loader sharded over N ranks, all N shards in one process: step by step, the shards together yield the rows
/// of the unsharded loader's batch, each once, in every epoch; a sharded loader resumes from any loader's state; a
/// batch that does not split is a clear error. Bound to each accelerator kind below.
/// </summary>
public abstract class ShardedLoaderTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private const int Rows = 300;

    protected Device Device => fixture.Require();

    [Theory]
    [InlineData(30, 1)]
    [InlineData(30, 2)]
    [InlineData(30, 3)]
    [InlineData(40, 4)]
    [InlineData(40, 2)]
    public void Each_step_the_shards_yield_the_unsharded_batch_and_each_epoch_every_row_once(int batchSize, int ranks)
    {
        var whole = Loader(batchSize);
        var shards = Enumerable.Range(0, ranks).Select(r => Loader(batchSize).Shard(r, ranks)).ToList();

        for (int epoch = 0; epoch < 3; epoch++)
        {
            var expected = whole.Select(RowNumbers).ToList();
            var parts = shards.Select(s => s.Select(RowNumbers).ToList()).ToList();
            Assert.All(parts, p => Assert.Equal(expected.Count, p.Count));
            for (int k = 0; k < expected.Count; k++)
            {
                Assert.All(parts, p => Assert.Equal(expected[k].Length / ranks, p[k].Length));
                Assert.Equal(expected[k], parts.SelectMany(p => p[k]));
            }
            Assert.Equal(Enumerable.Range(0, Rows), expected.SelectMany(b => b).Order());
        }
    }

    [Fact]
    public void A_sharded_loader_resumes_from_the_state_of_a_loader_sharded_another_way()
    {
        var two = Enumerable.Range(0, 2).Select(r => Loader(30).Shard(r, 2)).ToList();
        foreach (var shard in two)
        {
            Assert.Equal(10, shard.ToList().Count);
            Assert.Equal(3, shard.Take(3).Count());   // three batches into the second epoch
        }
        var state = two[0].State;
        Assert.Equal(state with { Order = null }, two[1].State with { Order = null });
        var following = two.Select(s => s.Take(4).Select(RowNumbers).ToList()).ToList();

        var three = Enumerable.Range(0, 3).Select(r => Loader(30, seed: 99).Shard(r, 3)).ToList();
        foreach (var shard in three)
            shard.State = state;
        var resumed = three.Select(s => s.Take(4).Select(RowNumbers).ToList()).ToList();

        for (int k = 0; k < 4; k++)
            Assert.Equal(following.SelectMany(p => p[k]), resumed.SelectMany(p => p[k]));
    }

    [Fact]
    public void Sharding_over_the_ranks_of_one_process_yields_the_whole_batches()
    {
        using var ranks = Collectives.Start(Device);
        var whole = Loader(30);

        var shard = Loader(30).Shard(ranks);

        Assert.Equal((0, 1, 30), (shard.Rank, shard.Ranks, shard.BatchSize));
        Assert.Equal(whole.Select(RowNumbers), shard.Select(RowNumbers));
    }

    [Fact]
    public void A_batch_that_does_not_split_over_the_ranks_is_an_error_naming_the_sizes()
    {
        var batch = Assert.Throws<ArgumentException>(() => Loader(30).Shard(0, 4));
        Assert.Contains("a batch of 30 rows does not split over 4 ranks", batch.Message, StringComparison.Ordinal);

        var last = Assert.Throws<ArgumentException>(() => Loader(32).Shard(1, 8));
        const string Last = "the last batch of each epoch has 12 rows (300 rows in batches of 32), which do not split";
        Assert.Contains($"{Last} over 8 ranks", last.Message, StringComparison.Ordinal);

        var x = Device.FromArray(new float[Rows], Rows, 1);
        var unseeded = Assert.Throws<InvalidOperationException>(() => new DataLoader(x, new int[Rows], 30).Shard(0, 2));
        Assert.Contains("made without a seed", unseeded.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Loader(30).Shard(2, 2));
    }

    /// <summary>A shuffling loader over rows whose one column holds their number.</summary>
    private DataLoader Loader(int batchSize, int seed = 7)
    {
        var numbers = Enumerable.Range(0, Rows).Select(i => (float)i).ToArray();
        return new DataLoader(Device.FromArray(numbers, Rows, 1), new int[Rows], batchSize, seed: seed);
    }

    private static int[] RowNumbers(Batch batch) => Array.ConvertAll(batch.X.ToArray<float>(), v => (int)v);
}

public sealed class CpuShardedLoaderTests(CpuFixture fixture) : ShardedLoaderTests<CpuFixture>(fixture);

public sealed class CudaShardedLoaderTests(CudaFixture fixture) : ShardedLoaderTests<CudaFixture>(fixture);

public sealed class OpenCLShardedLoaderTests(OpenCLFixture fixture) : ShardedLoaderTests<OpenCLFixture>(fixture);
