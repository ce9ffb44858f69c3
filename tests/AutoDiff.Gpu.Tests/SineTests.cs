using AutoDiff.Gpu.Experiments;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The book's step 43 (<see cref="SineModel"/>, as the experiments program trains it) against NumPy's run of the same
/// loop on the same data (<see cref="SineData"/>): deterministic losses, compared iteration by iteration.
/// </summary>
public abstract class SineTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    /// <summary>Trains from the initial weights; returns the model and the loss at each reference iteration below <paramref name="iterations"/>.</summary>
    private (SineModel Model, Dictionary<int, double> Losses) Train(DType dtype, int iterations)
    {
        var model = new SineModel(Device, dtype);
        var kept = new Dictionary<int, Tensor>();
        for (int i = 0; i < iterations; i++)
        {
            var loss = model.Step();
            if (Array.IndexOf(SineData.ReferenceIterations, i) >= 0)
                kept[i] = loss.Data;
        }
        return (model, kept.ToDictionary(k => k.Key, k => k.Value.Item()));
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 1e-5)]
    public void The_first_hundred_iterations_follow_NumPy(DType dtype, double relative)
    {
        var (_, losses) = Train(dtype, 101);

        Assert.Equal([0, 1, 10, 100], losses.Keys.Order());
        for (int k = 0; k < SineData.ReferenceIterations.Length && SineData.ReferenceIterations[k] <= 100; k++)
        {
            int i = SineData.ReferenceIterations[k];
            double expected = SineData.ReferenceLosses[k];
            Assert.True(Math.Abs(losses[i] - expected) <= relative * expected, $"{dtype} iteration {i}: loss {losses[i]:R}, NumPy {expected:R}");
        }
        // Learning: the loss fell.
        Assert.True(losses[100] < 0.7 * losses[0], $"loss {losses[0]} -> {losses[100]}");
    }

    [Fact]
    public void Ten_thousand_iterations_reach_NumPys_loss_below_a_tenth_and_fit_the_sine()
    {
        var (model, losses) = Train(DType.Float64, SineModel.BookIterations);

        double final = losses[SineModel.BookIterations - 1];
        Assert.True(final < SineModel.Threshold, $"final loss {final}");
        for (int k = 0; k < SineData.ReferenceIterations.Length; k++)
        {
            int i = SineData.ReferenceIterations[k];
            double expected = SineData.ReferenceLosses[k];
            Assert.True(Math.Abs(losses[i] - expected) <= SineModel.Float64Tolerance * expected, $"iteration {i}: loss {losses[i]:R}, NumPy {expected:R}");
        }

        // sin(2πx) + noise of mean 0.5: about 1.5 at x = 0.25 and −0.5 at x = 0.75.
        var x = new Variable(Device.FromArray([0.25, 0.75], new Shape(2, 1)));
        double[] y;
        using (Config.NoGrad())
            y = model.Predict(x).ToDoubleArray();
        Assert.InRange(y[0], 1.2, 1.8);
        Assert.InRange(y[1], -0.8, -0.2);
    }
}

public sealed class CpuSineTests(CpuFixture fixture) : SineTests<CpuFixture>(fixture);

public sealed class CudaSineTests(CudaFixture fixture) : SineTests<CudaFixture>(fixture);

public sealed class OpenCLSineTests(OpenCLFixture fixture) : SineTests<OpenCLFixture>(fixture);
