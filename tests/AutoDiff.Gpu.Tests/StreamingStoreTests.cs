using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Results of light expressions larger than a last-level cache are stored past the caches on the CPU accelerator,
/// where a run starts aligned; the others as before. Either way every element holds the eager value.
/// </summary>
public sealed class StreamingStoreTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    // 33.5 MB of float32: past the threshold, and chunks that start between vectors.
    private const int Length = (8 << 20) + 3;

    [Fact]
    public void A_large_light_expression_holds_every_element_at_unaligned_chunk_starts_too()
    {
        var device = fixture.Require();
        var host = new float[Length];
        for (int i = 0; i < Length; i++)
            host[i] = (i % 1009) * 0.25f - 60;
        var x = new Variable(device.FromArray(host, Length));
        float[] y;
        using (Config.NoGrad())
            y = ((x * x) - (x * 3)).Data.ToArray<float>();
        for (int i = 0; i < Length; i++)
        {
            float expected = (host[i] * host[i]) - (host[i] * 3);
            if (y[i] != expected)
                Assert.Fail($"element {i}: {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void A_large_broadcast_add_and_a_large_exp_hold_the_eager_values()
    {
        var device = fixture.Require();
        var x = new Variable(device.Full(new Shape(2048, 4099), 0.5, DType.Float32));
        var row = new Variable(device.FromArray(Enumerable.Range(0, 4099).Select(i => (float)i).ToArray(), 4099));
        using (Config.NoGrad())
        {
            var sum = (x + row).Data.ToArray<float>();
            for (int i = 0; i < sum.Length; i++)
            {
                if (sum[i] != 0.5f + (i % 4099))
                    Assert.Fail($"x + row, element {i}: {sum[i]}");
            }
            var fused = Exp(x).Data.ToArray<float>();
            float[] eager;
            using (Config.UsingConfig(Config.FusionName, false))
                eager = Exp(x).Data.ToArray<float>();
            Assert.Equal(eager, fused);
        }
    }
}
