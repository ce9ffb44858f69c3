using System.Diagnostics;
using AutoDiff.Gpu.Data;
using AutoDiff.Gpu.Experiments;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Compare;

/// <summary>
/// Small training loops, written in the natural style, that <c>AutoDiff.Gpu.Compare</c> runs on two builds of the
/// engine in one process. Only public API that older builds have too (so no <c>Optimizer.Setup</c>).
/// </summary>
public static class CompareCases
{
    private static readonly Dictionary<string, Action> Loops = [];

    /// <summary>
    /// The cases: the book's step 43 (float32), one epoch of the spiral MLP (steps 47–50), and without gradients a
    /// 1024² float32 product, the sum of 16Mi float32 elements and their sum with themselves (x + x).
    /// </summary>
    public static IReadOnlyList<string> Names { get; } = ["step43", "spiral", "matmul", "sum", "add"];

    /// <summary>Runs case <paramref name="name"/> <paramref name="count"/> times; returns µs per run.</summary>
    public static double Run(string name, int count)
    {
        if (!Loops.TryGetValue(name, out var loop))
        {
            loop = Make(name);
            Loops[name] = loop;
        }
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
            loop();
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / count;
    }

    private static Action Make(string name) => name switch
    {
        "step43" => Step43(),
        "spiral" => Spiral(),
        "matmul" => NoGrad(new Shape(1024, 1024), x => MatMul(x, x)),
        "sum" => NoGrad(new Shape(4096, 4096), x => Sum(x)),
        "add" => NoGrad(new Shape(4096, 4096), x => x + x),
        _ => throw new ArgumentException($"no case '{name}'; the cases are {string.Join(", ", Names)}", nameof(name)),
    };

    private static Action Step43()
    {
        var device = Device.Cpu();
        var model = new SineModel(device, DType.Float32);
        return () =>
        {
            model.Step();
            device.Synchronize();
        };
    }

    private static Action Spiral()
    {
        var device = Device.Cpu();
        device.Random.ManualSeed(0);
        var (x, t) = Data.Spiral.Load(device, dtype: DType.Float32);
        var mlp = new Mlp([10, Data.Spiral.Classes]);
        var optimizer = new Sgd(1.0);
        var loader = new DataLoader(x, t, 30, seed: 0);
        return () =>
        {
            foreach (var batch in loader)
            {
                var loss = SoftmaxCrossEntropy(mlp.Call(batch.X), batch.Labels!);
                mlp.ClearGrads();
                loss.Backward();
                optimizer.Update(mlp.Params());
                loss.Item();
            }
        };
    }

    /// <summary><paramref name="op"/> of a tensor of <paramref name="shape"/> under NoGrad, computed, freed, waited for.</summary>
    private static Action NoGrad(Shape shape, Func<Variable, Variable> op)
    {
        var device = Device.Cpu();
        var x = new Variable(device.Full(shape, 0.5, DType.Float32));
        return () =>
        {
            using (Config.NoGrad())
            {
                var y = op(x);
                y.Data.Realize();
                y.Dispose();
            }
            device.Synchronize();
        };
    }
}
