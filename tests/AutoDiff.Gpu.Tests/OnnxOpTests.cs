using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Each row of the ONNX export's op table, exported as a small function of random input, run in ONNX Runtime on the
/// CPU and compared with the engine's output (float32). Bound to each accelerator kind below.
/// </summary>
public abstract class OnnxOpTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : DeviceFixture
{
    private readonly string folder = Directory.CreateTempSubdirectory("autodiff-onnx-ops-").FullName;

    protected Device Device => fixture.Require();

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Theory]
    [MemberData(nameof(OnnxOpCases.Names), MemberType = typeof(OnnxOpCases))]
    public void The_exported_op_runs_in_onnx_runtime_as_in_the_engine(string name)
    {
        var (shape, f) = OnnxOpCases.Cases[name];
        Device.Random.ManualSeed((ulong)name.Length);
        var x = new Variable(Device.Random.Normal(new Shape(shape)));
        string path = Path.Combine(folder, "op.onnx");
        Onnx.Export(f, x, path);

        OnnxRuntimeRun.AssertMatches(f(x), OnnxRuntimeRun.Run(path, x)[0], OnnxExportTests<TFixture>.Float32Tolerance);
    }
}

/// <summary>The op table's cases: a name, the input's shape and a function of one input.</summary>
public static class OnnxOpCases
{
    internal static readonly Dictionary<string, (int[] Shape, Func<Variable, Variable> F)> Cases = new()
    {
        ["relu"] = ([3, 4], ReLU),
        ["sigmoid"] = ([3, 4], Sigmoid),
        ["tanh"] = ([3, 4], Tanh),
        ["leaky relu"] = ([3, 4], x => LeakyReLU(x, 0.1)),
        ["softmax, axis 1 of three"] = ([2, 3, 4], x => Softmax(x)),
        ["softmax, axis -1"] = ([2, 3, 4], x => Softmax(x, -1)),
        ["log softmax, axis 1 of three"] = ([2, 3, 4], x => LogSoftmax(x)),
        ["log softmax, axis 0"] = ([3, 4], x => LogSoftmax(x, 0)),
        ["exp, log, sin, cos"] = ([3, 4], x => Log(Exp(Sin(x)) + Cos(x))),
        ["square, pow, sqrt"] = ([3, 4], x => Square(x) + Pow(x, 3) + Pow(Square(x) + 1.0, 0.5) + Pow(Exp(x), -1.5)),
        ["neg and scalar arithmetic"] = ([3, 4], x => (-x * 3.0) + 1.5 - (x / 4.0) + (2.0 - x) + (x - 0.25)),
        ["scalar divided by x"] = ([3, 4], x => 2.0 / (Square(x) + 1.0)),
        ["broadcast arithmetic"] = ([3, 4], x =>
            ((x + Sum(x, 0, keepDims: true)) * Mean(x, 1, keepDims: true)) - (x / Exp(Max(x, 1, keepDims: true)))),
        ["sums, means, maxima, minima"] = ([2, 3, 4], x =>
            Sum(x, [0, 2]) + Mean(x, [2, 0]) + Max(x, [0, -1]) - Min(x, [0, 2])),
        ["reductions of everything"] = ([3, 4], x => Sum(x) + Mean(x) * Max(x) / Min(x)),
        ["broadcast_to and sum_to"] = ([3, 1], x => SumTo(BroadcastTo(x, new Shape(2, 3, 4)) * 2.0, new Shape(1, 4))),
        ["reshape, transpose, flatten"] = ([6, 4], x => Flatten(Transpose(Reshape(x, 2, 3, 4), 2, 0, 1))),
        ["matmul, transposed operands, linear"] = ([3, 4], x =>
            Linear(MatMul(MatMul(x, x, true, false), x, false, true), x, Sum(x, 0))),
        ["clip"] = ([3, 4], x => Clip(x, -0.5, 0.7)),
        ["average pooling with padding"] = ([1, 2, 5, 5], x => AveragePooling(x, 3, 2, 1)),
        ["convolution without a bias"] = ([1, 2, 5, 5], x =>
            Conv2d(x, Transpose(x, 0, 1, 3, 2), null, (1, 2), (1, 0))),
    };

    public static TheoryData<string> Names() => new(Cases.Keys);
}

public sealed class CpuOnnxOpTests(CpuFixture fixture) : OnnxOpTests<CpuFixture>(fixture);

public sealed class CudaOnnxOpTests(CudaFixture fixture) : OnnxOpTests<CudaFixture>(fixture);

public sealed class OpenCLOnnxOpTests(OpenCLFixture fixture) : OnnxOpTests<OpenCLFixture>(fixture);
