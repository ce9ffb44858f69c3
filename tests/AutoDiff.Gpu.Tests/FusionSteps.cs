namespace AutoDiff.Gpu.Tests;

/// <summary>Fused against eager: a forward and backward step's launches, peak and values, compared.</summary>
internal static class FusionSteps
{
    /// <summary>Launches of the forward and the backward pass, the peak bytes, the output and the gradients.</summary>
    public sealed record Result(long Forward, long Backward, long Peak, double[] Y, double[][] Grads);

    /// <summary>The fixture's device (or a skip naming why it is absent), fusing results of every size.</summary>
    public static Device FusingAll(DeviceFixture fixture)
    {
        var device = fixture.Require();
        device.FusionMinElements = 0;
        return device;
    }

    /// <summary>One forward and backward step from a fresh peak: launches of each, the peak, the values.</summary>
    public static Result Step(Device device, bool fused, Func<Variable[]> inputs, Func<Variable[], Variable> f)
    {
        using var mode = Config.UsingConfig(Config.FusionName, fused);
        var v = inputs();
        device.Memory.ResetPeak();
        long start = device.KernelLaunches;
        var y = f(v);
        y.Data.Realize();
        long forward = device.KernelLaunches - start;
        y.Backward();
        foreach (var u in v)
            u.Grad!.Data.Realize();
        long backward = device.KernelLaunches - start - forward;
        long peak = device.Memory.PeakAllocatedBytes;
        return new(forward, backward, peak, y.ToDoubleArray(), [.. v.Select(u => u.Grad!.ToDoubleArray())]);
    }

    /// <summary>The outputs and every gradient of two steps, as <see cref="AssertSame"/>.</summary>
    public static void AssertSteps(DeviceKind kind, Result eager, Result fused, string what)
    {
        AssertSame(kind, eager.Y, fused.Y, $"{what} forward");
        for (int i = 0; i < eager.Grads.Length; i++)
            AssertSame(kind, eager.Grads[i], fused.Grads[i], $"{what} gradient {i}");
    }

    /// <summary>Deterministic values in [−2, 2) of a shape and element type on the device.</summary>
    public static Tensor Values(Device device, int[] shape, int seed, DType dtype)
    {
        var s = new Shape(shape);
        var random = new Random(seed);
        var values = new double[s.Length];
        for (int i = 0; i < values.Length; i++)
            values[i] = (random.NextDouble() * 4) - 2;
        return dtype == DType.Float64
            ? device.FromArray(values, s)
            : device.FromArray(Array.ConvertAll(values, v => (float)v), s);
    }

    /// <summary>Bit for bit on the CPU accelerator; on GPUs a fused multiply-add may round once, not twice.</summary>
    public static void AssertSame(DeviceKind kind, double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool close = Math.Abs(a - e) <= 1e-5 * Math.Max(1, Math.Abs(e));
            bool same = e.Equals(a) || (kind != DeviceKind.Cpu && close);
            Assert.True(same, $"{what}, element {i}: fused {a:R}, eager {e:R}");
        }
    }
}
