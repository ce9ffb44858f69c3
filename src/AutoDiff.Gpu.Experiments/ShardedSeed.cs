using AutoDiff.Gpu.Distributed;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The seed's experiment (<c>y = Square(Square(Square(x)))</c>, x ones, then <c>y.Backward()</c>) on an array of
/// N × N × N elements split along its first axis across <paramref name="ranks"/>: each rank makes and differentiates
/// its own rows only, so the array may be larger than one device. Each iteration ends with the global results, Σy and
/// Σ x.grad, summed over the ranks by one all-reduce. Without ranks it is the whole array in this process. Linked
/// into the distributed runner, which checks the sharded results against the whole array's.
/// </summary>
internal sealed class ShardedSeed(Collectives? ranks, Device device, int size, DType dtype)
{
    /// <summary>This rank's rows of the first axis: an equal share, the first N mod ranks ranks one more.</summary>
    public (int Start, int Rows) Shard
    {
        get
        {
            int rank = ranks?.Rank ?? 0, count = ranks?.Size ?? 1;
            int share = size / count, extra = size % count;
            return ((rank * share) + Math.Min(rank, extra), share + (rank < extra ? 1 : 0));
        }
    }

    /// <summary>
    /// One iteration on this rank's shard; returns the global element count, Σy and Σ x.grad, and with
    /// <paramref name="check"/> the global Σ(y − 1)² and Σ(x.grad − 8)² (else empty).
    /// </summary>
    public (double[] Global, double[] Check) Iterate(bool check)
    {
        using var scope = TensorScope.Begin();
        var x = new Variable(device.Ones(new Shape(Shard.Rows, size, size), dtype));
        var y = Square(Square(Square(x)));
        y.Backward();
        var g = x.Grad!;
        using (Config.NoGrad())
        {
            var global = OverRanks([x.Size, Sum(y).Item(), Sum(g).Item()]);
            if (!check)
                return (global, []);
            return (global, OverRanks([Sum(Square(y - 1.0)).Item(), Sum(Square(g - 8.0)).Item()]));
        }
    }

    private double[] OverRanks(double[] values) => ranks is null ? values : RankFigures.Sum(ranks, values);
}
