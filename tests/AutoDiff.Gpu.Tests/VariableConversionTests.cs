using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

public sealed class VariableConversionTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    [Fact]
    public void A_tensor_goes_where_a_variable_is_expected_and_the_result_differentiates()
    {
        var device = fixture.Require();
        var w = new Variable(device.FromArray([2.0f, 3.0f], 2));
        var t = device.FromArray([1.0f, 4.0f], 2);
        var y = Sum(Exp(t) * w);
        y.Backward();
        Assert.Equal(2 * Math.Exp(1) + 3 * Math.Exp(4), y.Item(), 4);
        var g = w.Grad!.ToArray<float>();
        Assert.Equal(Math.Exp(1), g[0], 1e-5);
        Assert.Equal(Math.Exp(4), g[1], 1e-4);
        Assert.IsType<Variable>(t * w);
    }

    [Fact]
    public void Item_of_T_gives_the_element_type_the_caller_wants()
    {
        var device = fixture.Require();
        var x = new Variable(device.FromArray([2.5f], 1));
        Assert.Equal(2.5f, x.Item<float>());
        Assert.Equal(2.5, x.Item<double>());
        var pair = new Variable(device.FromArray([1.0f, 2.0f], 2));
        Assert.Throws<InvalidOperationException>(() => pair.Item<float>());
    }
}
