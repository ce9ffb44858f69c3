using System.Numerics;
using AutoDiff.Gpu.Distributed;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The loop that combines the ranks' values in the shared-memory all-reduce: sums in rank order, maxima that keep
/// NaN and put +0 above −0, both outputs written, and lengths that end off the vector width.
/// </summary>
public abstract unsafe class RankReductionTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [InlineData(1)]
    [InlineData(67)]
    [InlineData(256)]
    public void Sums_add_the_ranks_left_to_right_into_both_outputs(int count)
    {
        // Past 2^(p+1) the spacing is 4: (3 + big) − big is 4 left to right, 3 the other way round.
        var big = T.ScaleB(T.One, sizeof(T) == sizeof(float) ? 25 : 54);
        var ranks = Three(count, i => T.CreateChecked(i % 5), i => i % 2 == 0 ? big : T.One, i => -big);
        var copy = new T[count];

        Combine<SumReduction>(ranks, into: ranks[1], copy);

        for (int i = 0; i < count; i++)
        {
            var expected = (T.CreateChecked(i % 5) + (i % 2 == 0 ? big : T.One)) - big;
            Assert.Equal(expected, ranks[1][i]);
            Assert.Equal(expected, copy[i]);
        }
    }

    [Theory]
    [InlineData(6)]
    [InlineData(67)]
    public void Maxima_keep_nan_and_put_positive_zero_above_negative_zero(int count)
    {
        // Where no rank has NaN, the zeros come as (−0, +0) at even elements and (+0, −0) at odd ones.
        var ranks = Three(
            count,
            i => i % 3 == 0 ? T.NaN : i % 2 == 0 ? T.NegativeZero : T.Zero,
            i => i % 3 == 1 ? T.NaN : i % 2 == 0 ? T.Zero : T.NegativeZero,
            i => T.CreateChecked(i % 3 == 2 ? -1 : 2));
        var into = new T[count];
        var copy = new T[count];

        Combine<MaxReduction>(ranks, into, copy);

        for (int i = 0; i < count; i++)
        {
            bool nan = i % 3 != 2;
            Assert.True(nan ? T.IsNaN(into[i]) : T.IsPositive(into[i]) && T.IsZero(into[i]), $"element {i}: {into[i]}");
            Assert.Equal(into[i], copy[i]);
        }
    }

    private static T[][] Three(int count, Func<int, T> first, Func<int, T> second, Func<int, T> third) =>
    [
        Enumerable.Range(0, count).Select(first).ToArray(),
        Enumerable.Range(0, count).Select(second).ToArray(),
        Enumerable.Range(0, count).Select(third).ToArray(),
    ];

    private static void Combine<TReduce>(T[][] ranks, T[] into, T[] copy)
        where TReduce : struct, IReduction
    {
        fixed (T* p0 = ranks[0], p1 = ranks[1], p2 = ranks[2], i = into, c = copy)
        {
            Span<nint> parts = [(nint)p0, (nint)p1, (nint)p2];
            RankReduction.Combine<T, TReduce>(parts, into.Length, i, c);
        }
    }
}

public sealed class RankReductionFloatTests : RankReductionTests<float>;

public sealed class RankReductionDoubleTests : RankReductionTests<double>;
