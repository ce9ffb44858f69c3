using AutoDiff.Gpu.Examples;
using AutoDiff.Gpu.Experiments;

namespace AutoDiff.Gpu.Tests.Docs;

/// <summary>The examples' NumPy generator against numbers NumPy 1.24 drew (<see cref="SineData"/> and more).</summary>
public sealed class NumPyRandomTests
{
    [Fact]
    public void Seed_0_draws_the_sine_data_and_weights_NumPy_drew()
    {
        var random = new NumPyRandom(0);

        var x = random.Rand(100);
        var noise = random.Rand(100);
        var w1 = random.Randn(10).Select(v => 0.01 * v).ToArray();
        var w2 = random.Randn(10).Select(v => 0.01 * v).ToArray();

        Assert.Equal(SineData.X, x);
        Assert.Equal(SineData.W1, w1);
        Assert.Equal(SineData.W2, w2);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(SineData.Y[i], Math.Sin(2 * Math.PI * x[i]) + noise[i], 1e-15);
    }

    [Fact]
    public void Permutation_and_uniform_follow_NumPy()
    {
        var random = new NumPyRandom(0);

        Assert.Equal([2, 8, 4, 9, 1, 6, 7, 3, 0, 5], random.Permutation(10));
        Assert.Equal(-0.00624127887373075, random.Uniform(-0.05, 0.05, 1)[0]);
    }
}
