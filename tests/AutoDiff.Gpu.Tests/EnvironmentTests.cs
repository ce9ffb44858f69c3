namespace AutoDiff.Gpu.Tests;

[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>Tests that set process environment variables: they run alone.</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class EnvironmentTests
{
    [Fact]
    public void AUTODIFF_DEVICE_overrides_the_best_device()
    {
        WithDevice("cpu:0", () =>
        {
            using var device = Device.Best();
            Assert.Equal("cpu:0", device.Id);
        });
        WithDevice("tpu", () =>
        {
            var e = Assert.Throws<ArgumentException>(() => Device.Best());
            Assert.Equal("AUTODIFF_DEVICE=tpu: unknown device 'tpu': use cpu, cuda, opencl or best, optionally with :index", e.Message);
        });
        WithDevice("cpu:7", () =>
        {
            var e = Assert.Throws<DeviceNotFoundException>(() => Device.Best());
            Assert.StartsWith("AUTODIFF_DEVICE=cpu:7: no cpu:7 device is present; present: cpu:0", e.Message, StringComparison.Ordinal);
        });
        WithDevice("cuda:-1", () =>
        {
            var e = Assert.Throws<ArgumentException>(() => Device.Best());
            Assert.Equal("AUTODIFF_DEVICE=cuda:-1: bad device 'cuda:-1': the index after ':' must be ≥ 0, not -1", e.Message);
        });
        WithDevice("gpu", () =>
        {
            // An alias of cuda: the error names both what was asked and what it means.
            if (Device.List().Any(d => d.Kind == DeviceKind.Cuda))
            {
                using var device = Device.Best();
                Assert.Equal("cuda:0", device.Id);
            }
            else
            {
                var e = Assert.Throws<DeviceNotFoundException>(() => Device.Best());
                Assert.StartsWith("AUTODIFF_DEVICE=gpu: no cuda:0 device is present; present: ", e.Message, StringComparison.Ordinal);
            }
        });
        WithDevice(null, () =>
        {
            using var device = Device.Best();
            Assert.Equal(Device.List()[0].Id, device.Id);
        });
    }

    private static void WithDevice(string? value, Action test)
    {
        string? previous = Environment.GetEnvironmentVariable(Device.EnvironmentVariable);
        Environment.SetEnvironmentVariable(Device.EnvironmentVariable, value);
        try
        {
            test();
        }
        finally
        {
            Environment.SetEnvironmentVariable(Device.EnvironmentVariable, previous);
        }
    }
}
