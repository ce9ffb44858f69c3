using System.Text.Json;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The experiments program's distributed commands run without a launcher, as one rank: the sharded seed is the
/// unsharded experiment and checks out; the data-parallel step reports rank 0's two medians.
/// </summary>
public sealed class DistributedProgramTests
{
    [Fact]
    public void The_sharded_seed_on_one_rank_sums_the_whole_array()
    {
        var run = ExperimentsProgram.Run(
            "sharded-seed", "--size", "20", "--reps", "3", "--dtype", "float64", "--format", "json");

        run.AssertSucceeded();
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("ranks").GetInt32());
        Assert.Equal("ok", root.GetProperty("check").GetString());
        // y = x⁸ = 1 and x.grad = 8x⁷ = 8 at each of the 20³ elements.
        Assert.Equal(8000, root.GetProperty("elements").GetDouble());
        Assert.Equal(8000, root.GetProperty("sumY").GetDouble());
        Assert.Equal(64000, root.GetProperty("sumGrad").GetDouble());
        var rank = Assert.Single(root.GetProperty("perRank").EnumerateArray());
        Assert.Equal(20, rank.GetProperty("rows").GetInt32());
        // x, y and x.grad at least, 64 000 bytes each.
        Assert.True(rank.GetProperty("peakBytes").GetInt64() >= 3 * 64_000, rank.ToString());
    }

    [Fact]
    public void The_data_parallel_step_on_one_rank_reports_both_medians()
    {
        var run = ExperimentsProgram.Run("data-parallel-step", "--steps", "5");

        run.AssertSucceeded();
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("spiral MLP, batch 30 over 1 rank(s) (single,", lines[0], StringComparison.Ordinal);
        string[] header = ["rank", "alone", "on", "30", "rows", "data-parallel", "on", "30", "ratio"];
        Assert.Equal(header, lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("0 ", lines[2].TrimStart(), StringComparison.Ordinal);
        Assert.StartsWith("data-parallel step over the slowest rank's alone: ", lines[3], StringComparison.Ordinal);
        Assert.Equal(4, lines.Length);
    }
}
