using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AutoDiff.Gpu.Tests;

/// <summary>An exported model run by ONNX Runtime on the CPU, and its outputs compared with the engine's.</summary>
internal static class OnnxRuntimeRun
{
    /// <summary>The model's outputs for <paramref name="inputs"/> (in its input order): values and shapes.</summary>
    public static (double[] Values, long[] Shape)[] Run(string path, params Variable[] inputs)
    {
        using var session = new InferenceSession(path);
        Assert.Equal(inputs.Length, session.InputNames.Count);
        var values = inputs.Select(ToOrt).ToArray();
        try
        {
            using var options = new RunOptions();
            using var results = session.Run(options, session.InputNames, values, session.OutputNames);
            return results.Select(FromOrt).ToArray();
        }
        finally
        {
            foreach (var value in values)
                value.Dispose();
        }
    }

    /// <summary>
    /// Asserts that ONNX Runtime's output has the engine's shape and values, each within
    /// <paramref name="tolerance"/> of the largest expected magnitude (at least 1): a relative tolerance that a value
    /// near zero does not defeat.
    /// </summary>
    public static void AssertMatches(Variable expected, (double[] Values, long[] Shape) actual, double tolerance)
    {
        Assert.Equal(expected.Shape.ToArray().Select(d => (long)d), actual.Shape);
        double[] e = expected.ToDoubleArray();
        double scale = Math.Max(1, e.Select(Math.Abs).DefaultIfEmpty(0).Max());
        Assert.Equal(e.Length, actual.Values.Length);
        for (int i = 0; i < e.Length; i++)
        {
            if (Math.Abs(e[i] - actual.Values[i]) > tolerance * scale)
            {
                string bound = (tolerance * scale).ToString("G3", CultureInfo.InvariantCulture);
                Assert.Fail($"element {i}: the engine gives {e[i]:R}, ONNX Runtime {actual.Values[i]:R} (tolerance {bound})");
            }
        }
    }

    private static OrtValue ToOrt(Variable x)
    {
        long[] shape = x.Shape.ToArray().Select(d => (long)d).ToArray();
        return x.DType == DType.Float32
            ? OrtValue.CreateTensorValueFromMemory(x.ToArray<float>(), shape)
            : OrtValue.CreateTensorValueFromMemory(x.ToArray<double>(), shape);
    }

    private static (double[] Values, long[] Shape) FromOrt(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        double[] values = info.ElementDataType switch
        {
            TensorElementType.Float => Array.ConvertAll(value.GetTensorDataAsSpan<float>().ToArray(), v => (double)v),
            TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
            var other => throw new InvalidOperationException($"an output of element type {other}"),
        };
        return (values, info.Shape);
    }
}
