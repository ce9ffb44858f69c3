using AutoDiff.Gpu.Distributed;
using AutoDiff.Gpu.Experiments;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Data-parallel training on one rank, where every collective is the identity: the wrapper trains as the model it
/// wraps, bit for bit, through buckets of any size; gradients go through the buckets and come back whole, of either
/// element type; unused and frozen parameters stay without a gradient; the wrapper is the optimizer's first hook.
/// Several ranks: see the multi-rank tests. Bound to each accelerator kind below.
/// </summary>
public abstract class DataParallelTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [InlineData(DataParallel.DefaultBucketBytes)]
    [InlineData(64)]
    public void The_wrapper_trains_as_the_model_it_wraps_bit_for_bit_on_one_rank(long bucketBytes)
    {
        using var ranks = Collectives.Start(Device);
        // One after the other: each seeds the device's generator and draws its weights on its first step.
        var plain = new SpiralTraining(Device, null, batchSize: 30, DType.Float32, seed: 4);
        plain.Train(25);
        var wrapped = new SpiralTraining(Device, ranks, batchSize: 30, DType.Float32, seed: 4, bucketBytes);
        wrapped.Train(25);

        // The same names (no prefix for the wrapper) and the same bits.
        Assert.Equal(["l0/W", "l0/b", "l1/W", "l1/b"], wrapped.Parameters().Select(p => p.Name));
        foreach (var (expected, actual) in plain.Parameters().Zip(wrapped.Parameters()))
            Assert.Equal(expected.Values, actual.Values);
    }

    [Fact]
    public void Buckets_take_gradients_in_order_within_the_size_and_a_larger_one_alone()
    {
        (DType, long)[] items =
        [
            (DType.Float32, 40), (DType.Float32, 40), (DType.Float64, 16), (DType.Float32, 40),
            (DType.Float32, 200), (DType.Float64, 64), (DType.Float32, 8),
        ];

        var plan = GradientBuckets.Plan(items, bucketBytes: 100);

        // float32: 40+40 fit, the third 40 starts a bucket, 200 is alone, 8 starts the last; float64: 16+64.
        List<List<int>> expected = [[0, 1], [2, 5], [3], [4], [6]];
        Assert.Equal(expected, plan);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1 << 20)]
    public void Gradients_of_both_element_types_come_back_whole_through_the_buckets(long bucketBytes)
    {
        using var ranks = Collectives.Start(Device);
        var parameters = new List<Variable>();
        var grads = new List<Tensor?>();
        foreach (var (shape, dtype, hasGrad) in new[]
        {
            (new Shape(3), DType.Float32, true), (new Shape(2, 5), DType.Float64, true),
            (new Shape(4), DType.Float32, false), (new Shape(7, 3), DType.Float32, true),
            (new Shape(1), DType.Float64, true),
        })
        {
            var p = new Parameter(Device.Random.Normal(shape, dtype));
            var g = hasGrad ? Device.Random.Normal(shape, dtype) : null;
            if (g is not null)
                p.Grad = new Variable(g);
            parameters.Add(p);
            grads.Add(g);
        }
        var before = parameters.Select(p => p.Grad).ToList();

        GradientBuckets.Average(ranks, parameters, bucketBytes);

        for (int i = 0; i < parameters.Count; i++)
        {
            if (grads[i] is not { } g)
            {
                Assert.Null(parameters[i].Grad);
                continue;
            }
            // A new tensor, read out of a bucket, with the gradient's bits.
            Assert.NotSame(before[i], parameters[i].Grad);
            Assert.Equal(g.ToDoubleArray(), parameters[i].Grad!.ToDoubleArray());
        }
    }

    [Fact]
    public void A_range_copies_between_flat_buffers_and_one_that_does_not_fit_is_an_error()
    {
        var x = Device.FromArray(new float[] { 1, 2, 3, 4 }, 4);
        var y = Device.Zeros(new Shape(6), DType.Float32);

        Launch.CopyRange(x, 1, y, 3, 3);

        Assert.Equal([0f, 0f, 0f, 2f, 3f, 4f], y.ToArray<float>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Launch.CopyRange(x, 2, y, 0, 3));
        const string Message = "3 elements from element 2 of tensor (4,) to element 0 of tensor (6,) do not fit";
        Assert.Contains(Message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unused_and_frozen_parameters_keep_no_gradient_and_their_values()
    {
        using var ranks = Collectives.Start(Device);
        var model = new DataParallel(new Branches(Device), ranks, bucketBytes: 32);
        var optimizer = new Sgd(0.5).Setup(model);
        var x = new Variable(Device.Random.Normal(new Shape(6, 2), DType.Float64)) { RequiresGrad = false };
        var values = model.NamedParams().ToDictionary(p => p.Name, p => p.Parameter.ToDoubleArray());

        var loss = Sum(model.Call(x));
        model.ClearGrads();
        loss.Backward();
        optimizer.Update();

        var after = model.NamedParams().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var name in new[] { "Unused/W", "Unused/b", "Frozen/W", "Frozen/b" })
        {
            Assert.Null(after[name].Grad);
            Assert.Equal(values[name], after[name].ToDoubleArray());
        }
        Assert.NotEqual(values["Used/W"], after["Used/W"].ToDoubleArray());
        Assert.NotEqual(values["Used/b"], after["Used/b"].ToDoubleArray());
    }

    [Fact]
    public void Setting_up_an_optimizer_makes_the_wrapper_its_first_hook_and_only_while_it_is_the_target()
    {
        using var ranks = Collectives.Start(Device);
        var model = new DataParallel(new Mlp([3]), ranks);
        var clip = new ClipGrad(1.0);
        var optimizer = new Sgd().AddHook(clip);

        optimizer.Setup(model);
        Assert.Equal<IOptimizerHook>([model, clip], optimizer.Hooks);

        optimizer.Setup(new Mlp([3]));
        Assert.Equal<IOptimizerHook>([clip], optimizer.Hooks);
    }

    [Fact]
    public void An_update_steps_a_parameter_that_a_hook_gave_a_gradient()
    {
        var p = new Parameter(Device.Ones(new Shape(2), DType.Float64));
        var optimizer = new Sgd(0.5).AddHook(new GiveGradient(p));

        optimizer.Update(p);

        Assert.Equal([0.5, 0.5], p.ToDoubleArray());
    }

    [Fact]
    public void A_parameter_made_outside_a_registered_slot_during_the_call_is_an_error_naming_it()
    {
        using var ranks = Collectives.Start(Device);
        var model = new DataParallel(new LateField(), ranks);

        var x = new Variable(Device.Ones(new Shape(2, 2), DType.Float64));

        var e = Assert.Throws<InvalidOperationException>(() => model.Call(x));

        Assert.Contains("parameter 'w' appeared outside a slot", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A used, an unused and a frozen linear layer, made at once (float64, 2 inputs).</summary>
    private sealed class Branches : Layer
    {
        public Branches(Device device)
        {
            Used = new Linear(3, inSize: 2, dtype: DType.Float64, device: device);
            Unused = new Linear(3, inSize: 2, dtype: DType.Float64, device: device);
            Frozen = new Linear(3, inSize: 2, dtype: DType.Float64, device: device);
            Frozen.Freeze();
        }

        public Linear Used { get; }

        public Linear Unused { get; }

        public Linear Frozen { get; }

        protected override Variable Forward(Variable[] inputs) => Used.Call(inputs[0]) + Frozen.Call(inputs[0]);
    }

    /// <summary>A layer that keeps a parameter in a plain field, set on the first call.</summary>
    private sealed class LateField : Layer
    {
        private Parameter? w;

        protected override Variable Forward(Variable[] inputs)
        {
            w ??= new Parameter(inputs[0].Device.Ones(new Shape(2, 1), inputs[0].DType));
            return MatMul(inputs[0], w);
        }
    }

    /// <summary>A hook that gives <paramref name="target"/> a gradient of ones.</summary>
    private sealed class GiveGradient(Variable target) : IOptimizerHook
    {
        public void Apply(IReadOnlyList<Variable> parameters) =>
            target.Grad = new Variable(target.Device.Ones(target.Shape, target.DType));
    }
}

public sealed class CpuDataParallelTests(CpuFixture fixture) : DataParallelTests<CpuFixture>(fixture);

public sealed class CudaDataParallelTests(CudaFixture fixture) : DataParallelTests<CudaFixture>(fixture);

public sealed class OpenCLDataParallelTests(OpenCLFixture fixture) : DataParallelTests<OpenCLFixture>(fixture);
