using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

public sealed class ConfigTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    [Fact]
    public void UsingConfig_restores_the_previous_value_after_a_throwing_block()
    {
        Assert.True(Config.EnableBackprop);
        var e = Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using (Config.NoGrad())
            {
                Assert.False(Config.EnableBackprop);
                throw new InvalidOperationException("inside");
            }
        }));
        Assert.Equal("inside", e.Message);
        Assert.True(Config.EnableBackprop);
    }

    [Fact]
    public void Nested_scopes_restore_in_order()
    {
        using (Config.UsingConfig(Config.EnableBackpropName, false))
        {
            using (Config.UsingConfig("enable_backprop", true))
                Assert.True(Config.EnableBackprop);
            Assert.False(Config.EnableBackprop);
        }
        Assert.True(Config.EnableBackprop);
    }

    [Fact]
    public void Unknown_config_name_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => Config.UsingConfig("training", false));
        Assert.Contains("'training'", e.Message, StringComparison.Ordinal);
        Assert.Contains(Config.EnableBackpropName, e.Message, StringComparison.Ordinal);
        Assert.Contains(Config.TrainName, e.Message, StringComparison.Ordinal);
        Assert.True(Config.EnableBackprop);
        Assert.True(Config.Train);
    }

    [Fact]
    public void Test_mode_restores_training_after_a_throwing_block_and_leaves_backprop_alone()
    {
        Assert.True(Config.Train);
        Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using (Config.TestMode())
            {
                Assert.False(Config.Train);
                Assert.True(Config.EnableBackprop);
                throw new InvalidOperationException("inside");
            }
        }));
        Assert.True(Config.Train);
        using (Config.UsingConfig("train", false))
        {
            using (Config.NoGrad())
            {
                Assert.False(Config.Train);
                Assert.False(Config.EnableBackprop);
            }
            Assert.False(Config.Train);
            Assert.True(Config.EnableBackprop);
            using (Config.UsingConfig(Config.TrainName, true))
                Assert.True(Config.Train);
            Assert.False(Config.Train);
        }
        Assert.True(Config.Train);
    }

    [Fact]
    public void Switches_unwind_independently_when_scopes_close_out_of_order()
    {
        var test = Config.TestMode();
        var noGrad = Config.NoGrad();
        test.Dispose();
        Assert.True(Config.Train);
        Assert.False(Config.EnableBackprop);
        noGrad.Dispose();
        Assert.True(Config.EnableBackprop);
        using (Config.TestMode())
            Config.Train = true;
        Assert.True(Config.Train);
    }

    [Fact]
    public async Task Test_mode_flows_across_await()
    {
        using (Config.TestMode())
        {
            await Task.Yield();
            Assert.False(Config.Train);
            Assert.True(await Task.Run(() => !Config.Train));
        }
        Assert.True(Config.Train);
    }

    [Fact]
    public void Each_thread_has_its_own_mode()
    {
        var device = fixture.Require();
        using var bothInside = new Barrier(2);
        bool? recordedWithoutGrad = null, recordedWithGrad = null;
        bool? modeWithoutGrad = null, modeWithGrad = null;

        var noGrad = new Thread(() =>
        {
            using (Config.NoGrad())
            {
                bothInside.SignalAndWait();
                var y = Square(new Variable(device.Scalar(2.0)));
                recordedWithoutGrad = y.Creator is not null;
                modeWithoutGrad = Config.EnableBackprop;
                bothInside.SignalAndWait();
            }
        });
        var withGrad = new Thread(() =>
        {
            bothInside.SignalAndWait();
            var y = Square(new Variable(device.Scalar(2.0)));
            recordedWithGrad = y.Creator is not null;
            modeWithGrad = Config.EnableBackprop;
            bothInside.SignalAndWait();
        });
        noGrad.Start();
        withGrad.Start();
        noGrad.Join();
        withGrad.Join();

        Assert.False(recordedWithoutGrad);
        Assert.False(modeWithoutGrad);
        Assert.True(recordedWithGrad);
        Assert.True(modeWithGrad);
        Assert.True(Config.EnableBackprop);
    }
}
