using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Frozen parameters and layers: no gradient, no update, no graph where nothing needs one; and DeZero's
/// <c>optimizer.setup(model)</c> with <c>update()</c>. Bound to each accelerator kind below.
/// </summary>
public abstract class FreezingTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void A_frozen_layer_keeps_its_weights_while_the_rest_of_the_model_trains()
    {
        Device.Random.ManualSeed(1);
        var model = new Mlp([5, 1]);
        var x = new Variable(Device.Random.Normal(new Shape(8, 3), DType.Float64)) { RequiresGrad = false };
        var t = new Variable(Device.Random.Normal(new Shape(8, 1), DType.Float64));
        model.Call(x);
        model.Layers[0].Freeze();
        var frozen = model.Layers[0].Params().Select(p => p.ToDoubleArray()).ToList();
        var trained = model.Layers[1].Params().Select(p => p.ToDoubleArray()).ToList();
        var optimizer = new Sgd(0.1).Setup(model);
        for (int i = 0; i < 3; i++)
        {
            model.ClearGrads();
            MeanSquaredError(model.Call(x), t).Backward();
            Assert.All(model.Layers[0].Params(), p => Assert.Null(p.Grad));
            Assert.All(model.Layers[1].Params(), p => Assert.NotNull(p.Grad));
            optimizer.Update();
        }
        Assert.Equal(frozen, model.Layers[0].Params().Select(p => p.ToDoubleArray()));
        foreach (var (p, before) in model.Layers[1].Params().Zip(trained))
            Assert.NotEqual(before, p.ToDoubleArray());
        // Saved and listed as before.
        Assert.Equal(["l0/W", "l0/b", "l1/W", "l1/b"], model.NamedParams().Select(p => p.Name));

        model.Layers[0].Unfreeze();
        model.ClearGrads();
        MeanSquaredError(model.Call(x), t).Backward();
        Assert.All(model.Params(), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void A_frozen_part_reached_by_no_trainable_input_records_no_graph()
    {
        var layer = new Linear(4);
        layer.Freeze();
        var x = new Variable(Device.Ones(new Shape(2, 3), DType.Float64)) { RequiresGrad = false };
        var h = layer.Call(x);
        // Made frozen on its first call; the call recorded nothing, so a backward pass has nothing to walk.
        Assert.All(layer.Params(), p => Assert.False(p.RequiresGrad));
        Assert.Null(h.Creator);
        Assert.False(h.RequiresGrad);
        var w = new Variable(Device.Ones(new Shape(4, 1), DType.Float64));
        var y = Sum(MatMul(Tanh(h), w));
        Assert.IsType<Functions.MatMul>(Assert.IsType<Functions.Sum>(y.Creator).Inputs[0].Creator);
        y.Backward();
        Assert.NotNull(w.Grad);
        Assert.All(layer.Params(), p => Assert.Null(p.Grad));

        // An output of an input that needs a gradient needs one and is recorded.
        var z = Tanh(w);
        Assert.True(z.RequiresGrad);
        Assert.NotNull(z.Creator);
    }

    [Fact]
    public void Backward_skips_the_gradients_of_inputs_that_take_none()
    {
        var a = new Variable(Device.Ones(new Shape(2, 3), DType.Float64)) { RequiresGrad = false };
        var b = new Variable(Device.Ones(new Shape(3, 2), DType.Float64));
        var probe = new Probe();
        var y = probe.Call(a, b)[0];
        y.Backward();
        Assert.Equal((false, true), probe.Asked);
        Assert.Null(a.Grad);
        Assert.Equal(b.Shape, b.Grad!.Shape);
    }

    [Fact]
    public void An_optimizer_skips_a_frozen_parameter_even_with_a_gradient()
    {
        var p = new Parameter(Device.FromArray([1.0, 2.0]), "p");
        var q = new Parameter(Device.FromArray([1.0, 2.0]), "q");
        p.Grad = new Variable(Device.FromArray([1.0, 1.0]));
        q.Grad = new Variable(Device.FromArray([1.0, 1.0]));
        p.RequiresGrad = false;
        var sgd = new Sgd(0.5);
        sgd.Update(p, q);
        sgd.UpdateOne(p);
        Assert.Equal([1.0, 2.0], p.ToDoubleArray());
        Assert.Equal([0.5, 1.5], q.ToDoubleArray());
    }

    [Fact]
    public void Setup_returns_the_optimizer_and_update_steps_its_target()
    {
        var model = new Linear(2, inSize: 3, dtype: DType.Float64, device: Device);
        var adam = new Adam().Setup(model);
        Assert.IsType<Adam>(adam);
        Assert.Same(model, adam.Target);
        var before = model.W!.ToDoubleArray();
        Sum(model.Call(new Variable(Device.Ones(new Shape(1, 3), DType.Float64)))).Backward();
        adam.Update();
        // Adam's first step moves every weight by alpha against the sign of its gradient (here all +1).
        Assert.All(model.W.ToDoubleArray().Zip(before), v => Assert.Equal(v.Second - 0.001, v.First, 1e-9));
        Assert.Throws<ArgumentNullException>(() => new Sgd().Setup(null!));
    }

    /// <summary>A product whose backward records which inputs it was asked to differentiate.</summary>
    private sealed class Probe : Function
    {
        public (bool A, bool B) Asked { get; private set; }

        protected override int Arity => 2;

        protected override Tensor[] Forward(Tensor[] xs) => [Launch.MatMul(nameof(Probe), xs[0], xs[1], false, false)];

        protected override Variable?[] Backward(Variable[] gys)
        {
            Asked = (NeedsGradient(0), NeedsGradient(1));
            return Functions.MatMul.Gradients(Input(0), Input(1), gys[0], false, false, Asked.A, Asked.B);
        }
    }
}

public sealed class CpuFreezingTests(CpuFixture fixture) : FreezingTests<CpuFixture>(fixture);

public sealed class CudaFreezingTests(CudaFixture fixture) : FreezingTests<CudaFixture>(fixture);

public sealed class OpenCLFreezingTests(OpenCLFixture fixture) : FreezingTests<OpenCLFixture>(fixture);
