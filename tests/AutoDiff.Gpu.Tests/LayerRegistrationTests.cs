using AutoDiff.Gpu.Experiments;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Layers written as DeZero writes them: sublayers and parameters kept in fields and auto-properties are found,
/// in declaration order and by the field's name, without registration calls; plain variables are not parameters;
/// explicit registration still works and nothing is registered twice. Bound to each accelerator kind below.
/// </summary>
public abstract class LayerRegistrationTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    /// <summary>DeZero's step 45 <c>TwoLayerNet</c>, as written there: two fields, no registration.</summary>
    private sealed class TwoLayerNet(int hiddenSize, int outSize) : Layer
    {
        private readonly Linear l1 = new(hiddenSize);
        private readonly Linear l2 = new(outSize);

        protected override Variable Forward(Variable[] inputs) => l2.Call(Sigmoid(l1.Call(inputs[0])));
    }

    /// <summary>DeZero's step 44 <c>Linear</c>: its own parameters, W made on the first call, b a property.</summary>
    private sealed class OwnLinear(int outSize) : Layer
    {
        private Parameter? w;

        public Parameter? B { get; private set; }

        protected override Variable Forward(Variable[] inputs)
        {
            var x = inputs[0];
            int inSize = x.Shape[1];
            var std = Math.Sqrt(1.0 / inSize);
            w ??= new Parameter(x.Device.Random.Normal(new Shape(inSize, outSize), x.DType, std: std));
            B ??= new Parameter(x.Device.Zeros(new Shape(outSize), x.DType));
            return Linear(x, w, B);
        }
    }

    /// <summary>A base class with a field, so that the subclass's come after it.</summary>
    private abstract class Base : Layer
    {
        protected readonly OwnLinear first = new(2);
    }

    /// <summary>Every kind of member: registered, held twice, plain variables, null, arrays and lists.</summary>
    private sealed class Mixed : Base
    {
        private readonly Linear registered;
        private readonly Linear[] stack = [new(3), new(2)];
        private readonly List<Layer> others = [new OwnLinear(2)];
        private Variable? state;

        public Mixed()
        {
            registered = Sublayer("named", new Linear(2));
            Same = registered;
        }

        public Linear Same { get; }

        public Variable? Scale { get; set; }

        public Linear? Absent { get; set; }

        protected override Variable Forward(Variable[] inputs)
        {
            var x = inputs[0];
            state = first.Call(x) + registered.Call(x) + stack[1].Call(stack[0].Call(x)) + others[0].Call(x);
            return Scale is null ? state : state * Scale;
        }
    }

    private sealed class Holder : Layer
    {
        public Layer? Inner { get; set; }

        protected override Variable Forward(Variable[] inputs) => inputs[0];
    }

    [Fact]
    public void A_model_that_keeps_its_layers_in_fields_trains()
    {
        // Step 45: the sine data, SGD of rate 0.2; the loss falls by half in 1,000 iterations as in the book.
        Device.Random.ManualSeed(0);
        var x = new Variable(Device.FromArray(SineData.X, SineData.X.Length, 1));
        var y = new Variable(Device.FromArray(SineData.Y, SineData.Y.Length, 1));
        var model = new TwoLayerNet(10, 1);
        var optimizer = new Sgd(0.2);
        double first = double.NaN, last = double.NaN;
        for (int i = 0; i < 1000; i++)
        {
            var loss = MeanSquaredError(model.Call(x), y);
            model.ClearGrads();
            loss.Backward();
            optimizer.Update(model.Params());
            if (i == 0)
                first = loss.Item();
            last = loss.Item();
        }
        Assert.Equal(["l1/W", "l1/b", "l2/W", "l2/b"], model.NamedParams().Select(p => p.Name));
        Assert.True(last < first / 2, $"loss {first} → {last}");
    }

    [Fact]
    public void Parameters_held_in_fields_train_and_their_own_layer_computes_as_linear()
    {
        Device.Random.ManualSeed(1);
        var layer = new OwnLinear(3);
        Assert.Empty(layer.Params());
        var x = new Variable(Device.RandN(4, 5));
        var y = layer.Call(x);
        Assert.Equal(["w", "B"], layer.NamedParams().Select(p => p.Name));
        var (w, b) = (layer.Params().First(), layer.B!);
        Assert.Equal(Linear(x, w, b).Data.ToArray<float>(), y.Data.ToArray<float>());
        Sum(y).Backward();
        var before = w.Data.ToArray<float>();
        new Sgd(0.5).Update(layer.Params());
        Assert.NotEqual(before, w.Data.ToArray<float>());
        Assert.All(b.Data.ToArray<float>(), v => Assert.Equal(-0.5f * 4, v));
    }

    [Fact]
    public void Members_come_registered_first_then_by_field_base_classes_first_each_once()
    {
        var model = new Mixed();
        model.Call(new Variable(Device.Ones(2, 4)));
        Assert.Equal(
            ["named/W", "named/b", "first/w", "first/B", "stack/0/W", "stack/0/b", "stack/1/W", "stack/1/b",
                "others/0/w", "others/0/B"],
            model.NamedParams().Select(p => p.Name));
        Assert.Equal(model.NamedParams().Count(), model.Params().Distinct().Count());

        // A plain variable is not a parameter; a parameter is, wherever it is kept.
        model.Scale = new Variable(Device.Scalar(2.0f));
        Assert.Equal(10, model.Params().Count());
        model.Scale = new Parameter(Device.Scalar(2.0f));
        Assert.Equal("Scale", model.NamedParams().Last().Name);
    }

    [Fact]
    public void A_field_that_takes_a_registered_name_or_holds_its_holder_is_an_error()
    {
        var clash = new ClashByField();
        Assert.Contains("field 'named' holds another object than the member registered as 'named'",
            Assert.Throws<InvalidOperationException>(() => clash.Params().ToList()).Message, StringComparison.Ordinal);

        var outer = new Holder();
        var inner = new Holder { Inner = outer };
        outer.Inner = inner;
        var cycle = Assert.Throws<InvalidOperationException>(() => outer.Params().ToList()).Message;
        Assert.Contains("already holds this layer", cycle, StringComparison.Ordinal);
        Assert.Equal(cycle, Assert.Throws<InvalidOperationException>(() => outer.NamedParams().ToList()).Message);
    }

    private sealed class ClashByField : Layer
    {
        private readonly Linear named = new(1);

        public ClashByField() => Sublayer("named", new Linear(2));

        protected override Variable Forward(Variable[] inputs) => named.Call(inputs[0]);
    }

    [Fact]
    public void A_model_with_fields_saves_and_loads_its_weights()
    {
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-fields-{Guid.NewGuid():N}.npz");
        try
        {
            Device.Random.ManualSeed(5);
            var x = new Variable(Device.RandN(3, 4));
            var model = new Mixed();
            var y = model.Call(x).Data.ToArray<float>();
            model.SaveWeights(path);
            var other = new Mixed();
            Assert.NotEqual(y, other.Call(x).Data.ToArray<float>());
            other.LoadWeights(path);
            Assert.Equal(y, other.Call(x).Data.ToArray<float>());
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            Assert.Equal(model.NamedParams().Select(p => p.Name + ".npy"), zip.Entries.Select(e => e.FullName));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A batch norm kept in a field, as DeZero writes a model: its running statistics are buffers.</summary>
    private sealed class NormedNet : Layer
    {
        private readonly Linear l1 = new(3);
        private readonly BatchNorm bn = new();

        protected override Variable Forward(Variable[] inputs) => bn.Call(l1.Call(inputs[0]));
    }

    [Fact]
    public void Buffers_of_layers_held_in_fields_are_named_saved_and_loaded()
    {
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-field-buffers-{Guid.NewGuid():N}.npz");
        try
        {
            Device.Random.ManualSeed(6);
            var x = new Variable(Device.RandN(5, 4));
            var model = new NormedNet();
            model.Call(x);
            Assert.Equal(["bn/avg_mean", "bn/avg_var"], model.NamedBuffers().Select(b => b.Name));
            model.SaveWeights(path);
            var other = new NormedNet();
            other.Call(x);
            other.LoadWeights(path);
            using (Config.TestMode())
                Assert.Equal(model.Call(x).Data.ToArray<float>(), other.Call(x).Data.ToArray<float>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_optimizer_given_no_parameters_says_so()
    {
        // Layers kept in locals are found nowhere: Params() is empty, and the update refuses to do nothing.
        var model = new Holder();
        var error = Assert.Throws<ArgumentException>(() => new Adam().Update(model.Params()));
        Assert.Contains("Adam.Update: no parameters were given", error.Message, StringComparison.Ordinal);
        Assert.Contains("call Setup(model) first", Assert.Throws<InvalidOperationException>(() => new Sgd().Update()).Message, StringComparison.Ordinal);
    }
}

public sealed class CpuLayerRegistrationTests(CpuFixture fixture) : LayerRegistrationTests<CpuFixture>(fixture);

public sealed class CudaLayerRegistrationTests(CudaFixture fixture) : LayerRegistrationTests<CudaFixture>(fixture);

public sealed class OpenCLLayerRegistrationTests(OpenCLFixture fixture) : LayerRegistrationTests<OpenCLFixture>(fixture);
