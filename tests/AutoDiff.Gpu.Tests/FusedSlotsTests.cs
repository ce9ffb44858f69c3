using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// A fused launch fills its slots in a loop over the expression's inputs. .NET 10's JIT, with dynamic PGO, compiled
/// a switch over the slot in such a loop into stores to slot 0 only (dotnet/runtime#132370): after a hot
/// one-input expression, a broadcast add read a null slot and the process died.
/// </summary>
public sealed class FusedSlotsTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    [Fact]
    public void A_broadcast_add_after_a_hot_one_input_expression_reads_both_operands()
    {
        var device = fixture.Require();
        var x = new Variable(device.Full(new Shape(4096, 4096), 0.75, DType.Float32));
        var row = new Variable(device.FromArray(Enumerable.Range(0, 4096).Select(i => (float)i).ToArray(), 4096));
        using (Config.NoGrad())
        {
            for (int i = 0; i < 200; i++)
                Exp(x).Data.Realize();
            for (int i = 0; i < 200; i++)
            {
                var y = x + row;
                y.Data.Realize();
                if (i % 50 != 49)
                    continue;
                var values = y.Data.ToArray<float>();
                Assert.Equal(0.75f, values[0]);
                Assert.Equal(4095.75f, values[4095]);
                Assert.Equal(1.75f, values[^4095]);
            }
        }
    }
}
