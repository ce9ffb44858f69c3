using AutoDiff.Gpu.Layers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>DeZero's Sequential: layers and functions in order, layers named by position.</summary>
public abstract class SequentialTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private Device Device => fixture.Require();

    [Fact]
    public void A_sequence_of_layers_and_functions_is_the_mlp_it_spells()
    {
        var x = new Variable(Device.FromArray([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f], 3, 2));
        Device.Random.ManualSeed(7);
        var mlp = new Mlp([4, 1]);
        var expected = mlp.Call(x).ToArray<float>();
        Device.Random.ManualSeed(7);
        var model = new Sequential(new Linear(4), (Func<Variable, Variable>)Sigmoid, new Linear(1));
        Assert.Equal(expected, model.Call(x).ToArray<float>());
        Assert.Equal(["l0/W", "l0/b", "l2/W", "l2/b"], model.NamedParams().Select(p => p.Name).Order());
    }

    [Fact]
    public void Bad_steps_are_errors_that_name_them()
    {
        Assert.Throws<ArgumentException>(() => new Sequential());
        var e = Assert.Throws<ArgumentException>(() => new Sequential(new Linear(2), 42));
        Assert.Contains("step 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("Int32", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new Sequential(new Linear(2), null!));
    }
}

public sealed class CpuSequentialTests(CpuFixture fixture) : SequentialTests<CpuFixture>(fixture);

public sealed class CudaSequentialTests(CudaFixture fixture) : SequentialTests<CudaFixture>(fixture);

public sealed class OpenCLSequentialTests(OpenCLFixture fixture) : SequentialTests<OpenCLFixture>(fixture);
