using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// DeZero's optimizers against their formulas written out on the host over several steps (state per parameter,
/// Adam's step count per parameter), what they leave alone, bad input, and a fit they must finish. Bound to each
/// accelerator kind below.
/// </summary>
public abstract class OptimizerTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [MemberData(nameof(OptimizerCases.All), MemberType = typeof(OptimizerCases))]
    public void Three_updates_follow_the_formula_with_state_per_parameter(string name, DType dtype)
    {
        var (optimizer, reference) = Make(name);
        var h = HostArray.Random(new Shape(1000), 3, -1, 1).Rounded(dtype).Data;
        var h2 = HostArray.Random(new Shape(7), 4, -1, 1).Rounded(dtype).Data;
        var w = new Variable(Device.FromArray(h).To(dtype));
        var b = new Variable(Device.FromArray(h2).To(dtype));
        var p = (double[])h.Clone();
        var q = (double[])h2.Clone();
        double[][] sw = [new double[p.Length], new double[p.Length]], sb = [new double[q.Length], new double[q.Length]];
        for (int t = 1; t <= 3; t++)
        {
            // Loss Σ w³ + Σ b²: gradients 3w² and 2b, from the device's current values.
            w.ClearGrad();
            b.ClearGrad();
            Add(Sum(Pow(w, 3)), Sum(Square(b))).Backward();
            var gw = w.Grad!.Data.ToDoubleArray();
            var gb = b.Grad!.Data.ToDoubleArray();
            optimizer.Update(w, b);
            reference(p, gw, sw, t);
            reference(q, gb, sb, t);
            double tolerance = dtype == DType.Float32 ? 2e-6 : 1e-14;
            KernelHost.AssertNear(p, w.Data.ToDoubleArray(), tolerance, $"{name} step {t}, w: ");
            KernelHost.AssertNear(q, b.Data.ToDoubleArray(), tolerance, $"{name} step {t}, b: ");
            // Devices, float32 included, follow the float64 formula from the same gradient: carry the device's values on.
            p = w.Data.ToDoubleArray();
            q = b.Data.ToDoubleArray();
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerCases.All), MemberType = typeof(OptimizerCases))]
    public void Parameters_without_a_gradient_are_left_alone_and_disposed_ones_are_refused(string name, DType dtype)
    {
        var (optimizer, _) = Make(name);
        var untouched = new Variable(Device.FromArray([5.0]).To(dtype));
        optimizer.Update(untouched);
        Assert.Equal([5.0], untouched.Data.ToDoubleArray());

        var w = new Variable(Device.Ones(new Shape(3), dtype)) { Grad = new Variable(Device.Ones(new Shape(3), dtype)) };
        optimizer.UpdateOne(w);
        Assert.All(w.Data.ToDoubleArray(), v => Assert.True(v < 1, $"{name} did not move against the gradient: {v}"));
        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => optimizer.UpdateOne(w));
    }

    [Fact]
    public void Weight_decay_adds_rate_times_p_to_each_gradient_once_even_when_two_share_one()
    {
        var a = new Variable(Device.FromArray([1.0, 2.0]));
        var b = new Variable(Device.FromArray([3.0, -4.0]));
        // Add's backward hands both inputs the same gradient.
        Sum(a + b).Backward();
        new Sgd(lr: 0.5).AddHook(new WeightDecay(0.1)).Update(a, b);
        Assert.Equal([1 - (0.5 * (1 + 0.1)), 2 - (0.5 * (1 + 0.2))], a.Data.ToDoubleArray());
        Assert.Equal([3 - (0.5 * (1 + 0.3)), -4 - (0.5 * (1 - 0.4))], b.Data.ToDoubleArray());
    }

    [Fact]
    public void Gradient_clipping_scales_all_gradients_to_the_largest_norm_together()
    {
        var a = new Variable(Device.FromArray([3.0]));
        var b = new Variable(Device.FromArray([0.0, 4.0]).To(DType.Float32));
        a.Grad = new Variable(Device.FromArray([3.0]));
        b.Grad = new Variable(Device.FromArray([0.0, 4.0]).To(DType.Float32));
        var clip = new ClipGrad(maxNorm: 1);
        var sgd = new Sgd(lr: 1).AddHook(clip);
        sgd.Update(a, b);
        Assert.Equal(5, clip.LastNorm, 12);
        double scale = 1 / (5 + 1e-6);
        Assert.Equal(3 - (3 * scale), a.Data.Item(), 12);
        // float32: the scaled gradient and the step round in float32.
        Assert.Equal(0f, b.Data.ToArray<float>()[0]);
        Assert.Equal(4 - (4 * scale), b.Data.ToArray<float>()[1], 6);
        Assert.Equal(1, Math.Sqrt(Math.Pow(a.Grad!.Data.Item(), 2) + b.Grad!.Data.ToDoubleArray().Sum(v => v * v)), 5);

        // Below the largest norm, nothing is scaled.
        var small = new Variable(Device.FromArray([1.0])) { Grad = new Variable(Device.FromArray([0.5])) };
        new Sgd(lr: 1).AddHook(new ClipGrad(maxNorm: 1)).Update(small);
        Assert.Equal(0.5, small.Data.Item());
    }

    [Fact]
    public void Adam_fits_a_line()
    {
        // y = 2x + 1 on 50 points; 300 steps at α = 0.1.
        var xs = Enumerable.Range(0, 50).Select(i => i / 25.0 - 1).ToArray();
        var x = new Variable(Device.FromArray(xs, 50, 1));
        var y = new Variable(Device.FromArray(xs.Select(v => (2 * v) + 1).ToArray(), 50, 1));
        var w = new Variable(Device.Zeros(new Shape(1, 1), DType.Float64));
        var b = new Variable(Device.Zeros(new Shape(1), DType.Float64));
        var adam = new Adam(alpha: 0.1);
        double loss = double.NaN;
        for (int i = 0; i < 300; i++)
        {
            w.ClearGrad();
            b.ClearGrad();
            var l = MeanSquaredError(Linear(x, w, b), y);
            l.Backward();
            adam.Update(w, b);
            loss = l.Data.Item();
        }
        Assert.True(loss < 1e-4, $"loss {loss}");
        Assert.Equal(2.0, w.Data.Item(), 2);
        Assert.Equal(1.0, b.Data.Item(), 2);
    }

    private static (Optimizer Optimizer, Action<double[], double[], double[][], int> Reference) Make(string name) => name switch
    {
        "MomentumSgd" => (new MomentumSgd(lr: 0.1, momentum: 0.8), (p, g, s, t) =>
        {
            for (int i = 0; i < p.Length; i++)
            {
                s[0][i] = (0.8 * s[0][i]) - (0.1 * g[i]);
                p[i] += s[0][i];
            }
        }),
        "AdaGrad" => (new AdaGrad(lr: 0.1, eps: 1e-8), (p, g, s, t) =>
        {
            for (int i = 0; i < p.Length; i++)
            {
                s[0][i] += g[i] * g[i];
                p[i] -= 0.1 * g[i] / (Math.Sqrt(s[0][i]) + 1e-8);
            }
        }),
        "AdaDelta" => (new AdaDelta(rho: 0.9, eps: 1e-6), (p, g, s, t) =>
        {
            for (int i = 0; i < p.Length; i++)
            {
                s[0][i] = (0.9 * s[0][i]) + (0.1 * g[i] * g[i]);
                double delta = Math.Sqrt((s[1][i] + 1e-6) / (s[0][i] + 1e-6)) * g[i];
                s[1][i] = (0.9 * s[1][i]) + (0.1 * delta * delta);
                p[i] -= delta;
            }
        }),
        _ => (new Adam(alpha: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-8), (p, g, s, t) =>
        {
            double lr = 0.01 * Math.Sqrt(1 - Math.Pow(0.95, t)) / (1 - Math.Pow(0.8, t));
            for (int i = 0; i < p.Length; i++)
            {
                s[0][i] += (1 - 0.8) * (g[i] - s[0][i]);
                s[1][i] += (1 - 0.95) * ((g[i] * g[i]) - s[1][i]);
                p[i] -= lr * s[0][i] / (Math.Sqrt(s[1][i]) + 1e-8);
            }
        }),
    };
}

/// <summary>Each optimizer in each element type.</summary>
public static class OptimizerCases
{
    public static TheoryData<string, DType> All()
    {
        var data = new TheoryData<string, DType>();
        foreach (var name in new[] { "MomentumSgd", "AdaGrad", "AdaDelta", "Adam" })
        {
            data.Add(name, DType.Float32);
            data.Add(name, DType.Float64);
        }
        return data;
    }
}

public sealed class CpuOptimizerTests(CpuFixture fixture) : OptimizerTests<CpuFixture>(fixture);

public sealed class CudaOptimizerTests(CudaFixture fixture) : OptimizerTests<CudaFixture>(fixture);

public sealed class OpenCLOptimizerTests(OpenCLFixture fixture) : OptimizerTests<OpenCLFixture>(fixture);
