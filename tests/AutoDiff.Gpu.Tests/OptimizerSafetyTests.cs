using AutoDiff.Gpu.Optimizers;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Optimizers refuse settings that would move weights uphill or to NaN, leave gradients alone on a non-finite
/// norm, and update whole or not at all. Bound to each accelerator kind below.
/// </summary>
public abstract class OptimizerSafetyTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [MemberData(nameof(BadOptimizerSettings.All), MemberType = typeof(BadOptimizerSettings))]
    public void A_bad_hyperparameter_is_refused_naming_it(string setting, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Make(setting));
        Assert.Equal(name, e.ParamName);
        Assert.Contains($"{name} must be", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_hyperparameter_set_later_is_refused_and_the_old_one_kept()
    {
        var adam = new Adam();
        Assert.Equal("Beta1", Assert.Throws<ArgumentOutOfRangeException>(() => adam.Beta1 = 1).ParamName);
        Assert.Equal("Lr", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd().Lr = double.NaN).ParamName);
        Assert.Equal("Rho", Assert.Throws<ArgumentOutOfRangeException>(() => new AdaDelta().Rho = -0.5).ParamName);
        Assert.Equal(0.9, adam.Beta1);
    }

    [Fact]
    public void A_non_finite_norm_leaves_the_gradients_alone_or_fails_the_update_on_request()
    {
        var (a, b) = WithGradients(double.NaN);
        var clip = new ClipGrad(1);
        new Sgd(lr: 0.5).AddHook(clip).Update(a, b);
        Assert.True(double.IsNaN(clip.LastNorm));
        Assert.Equal([2.0 - (0.5 * 3), 3.0 - (0.5 * 4)], b.Data.ToDoubleArray());
        Assert.Equal([3.0, 4.0], b.Grad!.Data.ToDoubleArray());

        (a, b) = WithGradients(double.PositiveInfinity);
        var sgd = new Sgd(lr: 0.5).AddHook(new WeightDecay(0.1)).AddHook(new ClipGrad(1, errorIfNonfinite: true));
        Assert.Contains("is Infinity: nothing was updated", Assert.Throws<ArithmeticException>(() => sgd.Update(a, b)).Message, StringComparison.Ordinal);
        Assert.Equal([2.0, 3.0], b.Data.ToDoubleArray());
        Assert.Equal([3.0, 4.0], b.Grad!.Data.ToDoubleArray());
        Assert.Equal([1.0], a.Data.ToDoubleArray());
    }

    [Fact]
    public void An_update_whose_hook_throws_changes_nothing_and_a_retry_decays_once()
    {
        var w = new Variable(Device.FromArray([1.0, -2.0]));
        Backward(w);
        var failing = new Failing();
        var sgd = new Sgd(lr: 0.5).AddHook(new WeightDecay(0.1)).AddHook(failing);
        Assert.Throws<InvalidOperationException>(() => sgd.Update(w));
        Assert.Equal([1.0, -2.0], w.Data.ToDoubleArray());
        Assert.Equal([2.0, -4.0], w.Grad!.Data.ToDoubleArray());

        sgd.Hooks.Remove(failing);
        sgd.Update(w);
        Assert.Equal([1 - (0.5 * (2 + 0.1)), -2 - (0.5 * (-4 - 0.2))], w.Data.ToDoubleArray());
    }

    /// <summary>Loss Σ w²: the gradient 2w.</summary>
    private static void Backward(Variable w) => F.Sum(F.Square(w)).Backward();

    /// <summary>a with a gradient holding <paramref name="bad"/>, b with a finite one.</summary>
    private (Variable A, Variable B) WithGradients(double bad)
    {
        var a = new Variable(Device.FromArray([1.0])) { Grad = new Variable(Device.FromArray([bad])) };
        var b = new Variable(Device.FromArray([2.0, 3.0])) { Grad = new Variable(Device.FromArray([3.0, 4.0])) };
        return (a, b);
    }

    private static object Make(string setting) => setting switch
    {
        "Sgd(lr: -1)" => new Sgd(lr: -1),
        "Sgd(lr: NaN)" => new Sgd(lr: double.NaN),
        "MomentumSgd(momentum: 1)" => new MomentumSgd(momentum: 1),
        "MomentumSgd(lr: Infinity)" => new MomentumSgd(lr: double.PositiveInfinity),
        "AdaGrad(eps: 0)" => new AdaGrad(eps: 0),
        "AdaGrad(lr: -0.1)" => new AdaGrad(lr: -0.1),
        "AdaDelta(rho: 1.5)" => new AdaDelta(rho: 1.5),
        "AdaDelta(eps: -1)" => new AdaDelta(eps: -1),
        "Adam(alpha: NaN)" => new Adam(alpha: double.NaN),
        "Adam(beta1: 1)" => new Adam(beta1: 1),
        "Adam(beta2: -0.1)" => new Adam(beta2: -0.1),
        "Adam(eps: -1)" => new Adam(eps: -1),
        "WeightDecay(-1)" => new WeightDecay(-1),
        "ClipGrad(-1)" => new ClipGrad(-1),
        "ClipGrad(0)" => new ClipGrad(0),
        _ => new ClipGrad(double.NaN),
    };

    private sealed class Failing : IOptimizerHook
    {
        public void Apply(IReadOnlyList<Variable> parameters) => throw new InvalidOperationException("a hook failed");
    }
}

/// <summary>Settings each optimizer or hook refuses, with the parameter the refusal names.</summary>
public static class BadOptimizerSettings
{
    public static TheoryData<string, string> All() => new()
    {
        { "Sgd(lr: -1)", "lr" },
        { "Sgd(lr: NaN)", "lr" },
        { "MomentumSgd(momentum: 1)", "momentum" },
        { "MomentumSgd(lr: Infinity)", "lr" },
        { "AdaGrad(eps: 0)", "eps" },
        { "AdaGrad(lr: -0.1)", "lr" },
        { "AdaDelta(rho: 1.5)", "rho" },
        { "AdaDelta(eps: -1)", "eps" },
        { "Adam(alpha: NaN)", "alpha" },
        { "Adam(beta1: 1)", "beta1" },
        { "Adam(beta2: -0.1)", "beta2" },
        { "Adam(eps: -1)", "eps" },
        { "WeightDecay(-1)", "rate" },
        { "ClipGrad(-1)", "maxNorm" },
        { "ClipGrad(0)", "maxNorm" },
        { "ClipGrad(NaN)", "maxNorm" },
    };
}

public sealed class CpuOptimizerSafetyTests(CpuFixture fixture) : OptimizerSafetyTests<CpuFixture>(fixture);

public sealed class CudaOptimizerSafetyTests(CudaFixture fixture) : OptimizerSafetyTests<CudaFixture>(fixture);

public sealed class OpenCLOptimizerSafetyTests(OpenCLFixture fixture) : OptimizerSafetyTests<OpenCLFixture>(fixture);
