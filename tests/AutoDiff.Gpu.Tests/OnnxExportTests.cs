using System.Text;
using AutoDiff.Gpu.Layers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// ONNX export of whole models with random weights (an MLP, a CNN with conv, pooling, batch norm and linear layers,
/// recurrent steps), run in ONNX Runtime on the CPU and compared with the engine's outputs; the names the model
/// carries; float64; and the errors. Bound to each accelerator kind below.
/// </summary>
public abstract class OnnxExportTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : DeviceFixture
{
    /// <summary>float32 results agree to this, relative to the output's largest magnitude.</summary>
    internal const double Float32Tolerance = 1e-5;

    private readonly string folder = Directory.CreateTempSubdirectory("autodiff-onnx-").FullName;

    protected Device Device => fixture.Require();

    private string Path => System.IO.Path.Combine(folder, "model.onnx");

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void An_mlp_runs_in_onnx_runtime_as_in_the_engine()
    {
        Device.Random.ManualSeed(3);
        var model = new Mlp([16, 8, 3], Sigmoid);
        var x = new Variable(Device.RandN(4, 5));
        Onnx.Export(model, x, Path);

        using (var session = new InferenceSession(Path))
        {
            Assert.Equal(["input"], session.InputNames);
            Assert.Equal(["output"], session.OutputNames);
        }
        OnnxRuntimeRun.AssertMatches(model.Call(x), OnnxRuntimeRun.Run(Path, x)[0], Float32Tolerance);
        Assert.Contains("l0/W", Encoding.Latin1.GetString(File.ReadAllBytes(Path)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cnn_with_conv_pooling_batch_norm_and_linear_layers_runs_in_onnx_runtime_as_in_the_engine()
    {
        Device.Random.ManualSeed(5);
        var bn = new BatchNorm();
        var model = new Sequential(
            new Conv2d(4, kernel: 3, stride: 1, pad: 1),
            bn,
            (Func<Variable, Variable>)ReLU,
            (Func<Variable, Variable>)(h => Pooling(h, 2, 2)),
            new Conv2d(6, kernel: 3, stride: 2, pad: 1),
            (Func<Variable, Variable>)(h => AveragePooling(h, 2, 1)),
            (Func<Variable, Variable>)Flatten,
            new Linear(5),
            (Func<Variable, Variable>)(h => Softmax(h)));
        // Training steps move the running statistics away from 0 and 1; γ and β become random too.
        for (int i = 0; i < 3; i++)
            model.Call(new Variable(Device.Random.Normal(new Shape(6, 3, 8, 8), mean: i, std: 2)));
        foreach (var p in bn.Params())
            p.Data = Device.Random.Normal(p.Shape, std: 1);
        var x = new Variable(Device.RandN(2, 3, 8, 8));
        Onnx.Export(model, x, Path);

        Variable expected;
        using (Config.TestMode())
            expected = model.Call(x);
        OnnxRuntimeRun.AssertMatches(expected, OnnxRuntimeRun.Run(Path, x)[0], Float32Tolerance);
        Assert.Contains("l1/avg_var", Encoding.Latin1.GetString(File.ReadAllBytes(Path)), StringComparison.Ordinal);
    }

    [Fact]
    public void Max_pooling_counts_the_zero_padding_as_dezero_does()
    {
        // Every input negative: a window that reaches into the padding has 0 as its maximum.
        var x = new Variable(Device.Random.Uniform(new Shape(1, 2, 5, 5), low: -3, high: -1));
        Onnx.Export(h => Pooling(h, 3, 2, 1), x, Path);

        var expected = Pooling(x, 3, 2, 1);
        Assert.Contains(0.0, expected.ToDoubleArray());
        OnnxRuntimeRun.AssertMatches(expected, OnnxRuntimeRun.Run(Path, x)[0], Float32Tolerance);
    }

    [Fact]
    public void A_recurrent_step_runs_in_onnx_runtime_with_the_earlier_state_as_a_constant()
    {
        Device.Random.ManualSeed(7);
        var rnn = new Rnn(6);
        var lstm = new Lstm(5);
        var (x0, x1) = (new Variable(Device.RandN(3, 4)), new Variable(Device.RandN(3, 4)));
        foreach (Layer layer in new Layer[] { rnn, lstm })
        {
            Variable Step(Variable x) => layer.Call(x);
            void Reset()
            {
                rnn.ResetState();
                lstm.ResetState();
            }

            Reset();
            Step(x0);
            Onnx.Export(Step, x1, Path);
            Reset();
            Step(x0);
            var expected = Step(x1);
            OnnxRuntimeRun.AssertMatches(expected, OnnxRuntimeRun.Run(Path, x1)[0], Float32Tolerance);
        }
    }

    [Fact]
    public void A_function_of_several_inputs_and_outputs_keeps_their_order_and_names()
    {
        Device.Random.ManualSeed(9);
        Variable Random(params int[] shape) => new(Device.RandN(shape));
        var (wx, wh, b, wy) = (Random(4, 6), Random(6, 6), Random(6), Random(6, 3));
        Variable[] Step(Variable[] xh)
        {
            var h = Tanh(Linear(xh[0], wx, b) + MatMul(xh[1], wh));
            return [h, LogSoftmax(MatMul(h, wy))];
        }

        var inputs = new[] { new Variable(Device.RandN(2, 4)), new Variable(Device.RandN(2, 6)) };
        Onnx.Export(Step, inputs, Path);

        using (var session = new InferenceSession(Path))
        {
            Assert.Equal(["input0", "input1"], session.InputNames);
            Assert.Equal(["output0", "output1"], session.OutputNames);
        }
        var expected = Step(inputs);
        var actual = OnnxRuntimeRun.Run(Path, inputs);
        OnnxRuntimeRun.AssertMatches(expected[0], actual[0], Float32Tolerance);
        OnnxRuntimeRun.AssertMatches(expected[1], actual[1], Float32Tolerance);
    }

    [Fact]
    public void Float64_models_are_exported_as_double()
    {
        // ONNX Runtime's CPU provider has DOUBLE kernels for these (not for Conv or AveragePool).
        Device.Random.ManualSeed(11);
        var (bn, mlp) = (new BatchNorm(), new Mlp([7, 2], h => LeakyReLU(h)));
        Variable Model(Variable h) => LogSoftmax(mlp.Call(Flatten(Pooling(bn.Call(h), 2, 2, 1))));
        Model(new Variable(Device.Random.Normal(new Shape(4, 3, 4, 4), DType.Float64, mean: 1)));
        var x = new Variable(Device.Random.Normal(new Shape(2, 3, 4, 4), DType.Float64));
        Onnx.Export(Model, x, Path);

        using (var session = new InferenceSession(Path))
            Assert.Equal(TensorElementType.Double, session.OutputMetadata["output"].ElementDataType);
        Variable expected;
        using (Config.TestMode())
            expected = Model(x);
        OnnxRuntimeRun.AssertMatches(expected, OnnxRuntimeRun.Run(Path, x)[0], 1e-12);
    }

    [Fact]
    public void Dropout_is_the_identity_and_an_output_that_is_the_input_is_written()
    {
        var x = new Variable(Device.RandN(3, 4));
        Onnx.Export(h => Dropout(h, 0.5), x, Path);

        OnnxRuntimeRun.AssertMatches(x, OnnxRuntimeRun.Run(Path, x)[0], 0);
    }

    [Fact]
    public void A_function_with_no_onnx_form_is_named_in_the_error()
    {
        var (x, t) = (new Variable(Device.RandN(3, 4)), new Variable(Device.RandN(3, 4)));
        var e = Assert.Throws<NotSupportedException>(() => Onnx.Export(h => MeanSquaredError(Tanh(h), t), x, Path));

        Assert.Contains("MeanSquaredError", e.Message, StringComparison.Ordinal);
        Assert.Contains("Tanh", e.Message, StringComparison.Ordinal); // among those that can be exported
        Assert.False(File.Exists(Path));
    }

    [Fact]
    public void An_input_read_outside_the_graph_is_refused_rather_than_written_as_constants()
    {
        var x = new Variable(Device.RandN(2, 3));
        Variable Unrecorded(Variable h)
        {
            using (Config.NoGrad())
                return Tanh(h) * 2.0;
        }

        var e = Assert.Throws<InvalidOperationException>(() => Onnx.Export(Unrecorded, x, Path));
        Assert.Contains("no output depends on input 0", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path));
    }

    [Fact]
    public void A_failed_export_keeps_the_existing_file()
    {
        byte[] before = [1, 2, 3, 4];
        File.WriteAllBytes(Path, before);
        var x = new Variable(Device.RandN(2, 3));
        Assert.Throws<NotSupportedException>(() => Onnx.Export(h => MeanSquaredError(h, h * 2.0), x, Path));

        Assert.Equal(before, File.ReadAllBytes(Path));
        Assert.Equal([Path], Directory.GetFiles(folder));
        Onnx.Export(h => h * 2.0, x, Path);
        OnnxRuntimeRun.AssertMatches(x * 2.0, OnnxRuntimeRun.Run(Path, x)[0], Float32Tolerance);
        Assert.Equal([Path], Directory.GetFiles(folder));
    }
}

public sealed class CpuOnnxExportTests(CpuFixture fixture) : OnnxExportTests<CpuFixture>(fixture);

public sealed class CudaOnnxExportTests(CudaFixture fixture) : OnnxExportTests<CudaFixture>(fixture);

public sealed class OpenCLOnnxExportTests(OpenCLFixture fixture) : OnnxExportTests<OpenCLFixture>(fixture);
