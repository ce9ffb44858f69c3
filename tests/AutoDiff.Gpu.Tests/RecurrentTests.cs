using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// DeZero's recurrent layers and truncated backpropagation through time: unchaining a graph, the RNN's and the LSTM's
/// step equations, gradients through unrolled steps against central differences, and a next-value predictor on a sine
/// wave trained in stretches. Bound to each accelerator kind below.
/// </summary>
public abstract class RecurrentTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void UnchainBackward_cuts_the_graph_behind_a_variable()
    {
        var x = new Variable(Device.FromArray([0.5, 1.5]));
        var a = Square(x);
        var b = Exp(a);
        b.UnchainBackward();
        Assert.Null(b.Creator);
        Assert.Null(a.Creator);
        Sum(b).Backward();
        Assert.NotNull(b.Grad);
        Assert.Null(x.Grad);
        Assert.Null(a.Grad);

        // Unchain alone stops a pass at one variable and leaves the graph behind it.
        var c = Exp(Square(x));
        var d = Square(c);
        c.Unchain();
        Assert.NotNull(d.Creator);
        Sum(d).Backward();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Rnn_steps_follow_the_equations()
    {
        Device.Random.ManualSeed(5);
        var rnn = new Rnn(4);
        var x1 = new Variable(Device.Random.Normal(new Shape(2, 3), DType.Float64));
        var x2 = new Variable(Device.Random.Normal(new Shape(2, 3), DType.Float64));
        var h1 = rnn.Call(x1);
        var h2 = rnn.Call(x2);
        var p = rnn.NamedParams().ToDictionary(e => e.Name, e => e.Parameter);
        Assert.Equal(["x2h/W", "x2h/b", "h2h/W"], p.Keys);
        var e1 = Tanh(Linear(x1, p["x2h/W"], p["x2h/b"]));
        var e2 = Tanh(Linear(x2, p["x2h/W"], p["x2h/b"]) + MatMul(e1, p["h2h/W"]));
        Assert.Equal(e1.Data.ToDoubleArray(), h1.Data.ToDoubleArray());
        Assert.Equal(e2.Data.ToDoubleArray(), h2.Data.ToDoubleArray());
        rnn.ResetState();
        Assert.Null(rnn.H);
        Assert.Equal(e1.Data.ToDoubleArray(), rnn.Call(x1).Data.ToDoubleArray());
    }

    [Fact]
    public void Lstm_steps_follow_the_equations()
    {
        Device.Random.ManualSeed(6);
        var lstm = new Lstm(3, inSize: 2);
        var x1 = new Variable(Device.Random.Normal(new Shape(1, 2), DType.Float64));
        var x2 = new Variable(Device.Random.Normal(new Shape(1, 2), DType.Float64));
        // Float64 weights: the layer is made on the first call in x's element type.
        lstm.Call(x1);
        lstm.Call(x2);
        var p = lstm.NamedParams().ToDictionary(e => e.Name, e => e.Parameter);
        Variable Gate(string name, Variable x, Variable? h) =>
            h is null ? Linear(x, p[$"x2{name}/W"], p[$"x2{name}/b"]) : Linear(x, p[$"x2{name}/W"], p[$"x2{name}/b"]) + MatMul(h, p[$"h2{name}/W"]);
        var c1 = Sigmoid(Gate("i", x1, null)) * Tanh(Gate("u", x1, null));
        var h1 = Sigmoid(Gate("o", x1, null)) * Tanh(c1);
        var c2 = (Sigmoid(Gate("f", x2, h1)) * c1) + (Sigmoid(Gate("i", x2, h1)) * Tanh(Gate("u", x2, h1)));
        var h2 = Sigmoid(Gate("o", x2, h1)) * Tanh(c2);
        Assert.Equal(c2.Data.ToDoubleArray(), lstm.C!.Data.ToDoubleArray());
        Assert.Equal(h2.Data.ToDoubleArray(), lstm.H!.Data.ToDoubleArray());
    }

    [Fact]
    public void Gradients_through_three_unrolled_lstm_steps_match_central_differences()
    {
        Device.Random.ManualSeed(7);
        var lstm = new Lstm(3);
        var xs = Enumerable.Range(0, 3).Select(_ => new Variable(Device.Random.Normal(new Shape(2, 2), DType.Float64))).ToArray();
        lstm.Call(xs[0]);
        lstm.Call(xs[1]);
        var result = GradientCheck.Run(v =>
        {
            lstm.ResetState();
            Variable? loss = null;
            foreach (var x in v)
            {
                var h = lstm.Call(x);
                loss = loss is null ? Sum(h) : loss + Sum(h);
            }
            return loss!;
        }, xs);
        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public void A_next_value_predictor_learns_a_sine_wave_in_stretches()
    {
        // The book's step 59 in small: one RNN layer and a linear read-out, truncated backpropagation every 30 steps.
        Device.Random.ManualSeed(8);
        var rnn = new Rnn(10);
        var readout = new Linear(1);
        var optimizer = new Adam(alpha: 0.01);
        var wave = Enumerable.Range(0, 301).Select(t => Math.Sin(2 * Math.PI * t / 25)).ToArray();
        double firstEpoch = 0, lastEpoch = 0;
        for (int epoch = 0; epoch < 6; epoch++)
        {
            rnn.ResetState();
            Variable? loss = null;
            double total = 0;
            for (int t = 0; t < 300; t++)
            {
                var x = new Variable(Device.FromArray([wave[t]], 1, 1));
                var target = new Variable(Device.FromArray([wave[t + 1]], 1, 1));
                var step = MeanSquaredError(readout.Call(rnn.Call(x)), target);
                loss = loss is null ? step : loss + step;
                if ((t + 1) % 30 == 0)
                {
                    rnn.ClearGrads();
                    readout.ClearGrads();
                    loss.Backward();
                    loss.UnchainBackward();
                    optimizer.Update([.. rnn.Params(), .. readout.Params()]);
                    total += loss.Data.Item();
                    loss = null;
                }
            }
            if (epoch == 0)
                firstEpoch = total / 300;
            lastEpoch = total / 300;
        }
        Assert.True(lastEpoch < firstEpoch / 5 && lastEpoch < 0.02, $"mean loss {firstEpoch} → {lastEpoch}");
    }
}

public sealed class CpuRecurrentTests(CpuFixture fixture) : RecurrentTests<CpuFixture>(fixture);

public sealed class CudaRecurrentTests(CudaFixture fixture) : RecurrentTests<CudaFixture>(fixture);

public sealed class OpenCLRecurrentTests(OpenCLFixture fixture) : RecurrentTests<OpenCLFixture>(fixture);
