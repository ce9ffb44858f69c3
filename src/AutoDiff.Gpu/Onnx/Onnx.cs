using AutoDiff.Gpu.Layers;

namespace AutoDiff.Gpu;

/// <summary>
/// ONNX export (PyTorch's <c>torch.onnx.export</c>): one forward pass on example inputs, in test mode with the graph
/// recorded, then the graph walked from the outputs back to the inputs and written as an ONNX model of operator set
/// <see cref="Opset"/>. Parameters and other constants become initializers of the model's element type: float32 is
/// ONNX's FLOAT, float64 its DOUBLE (runtimes implement fewer operators for DOUBLE). Shapes are those of the
/// example inputs. Dropout is the identity in test mode and batch normalization uses its running statistics.
/// </summary>
public static class Onnx
{
    /// <summary>The ONNX operator set the exported models use.</summary>
    public const int Opset = 17;

    /// <summary>
    /// The names of the functions an exported graph may hold: conv2d, pooling and test-mode batch norm count as one.
    /// </summary>
    public static IEnumerable<string> ExportableFunctions => OnnxOps.Names;

    /// <summary>
    /// Writes <paramref name="model"/> called on <paramref name="input"/> to <paramref name="path"/> as an ONNX model
    /// with one input, <c>input</c>, and one output, <c>output</c>; the initializers carry the parameters' paths
    /// (<c>l0/W</c>) and buffers' (<c>bn/avg_mean</c>).
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// The forward pass uses a function with no ONNX form (the message names it); the file is left as it was.
    /// </exception>
    public static void Export(Layer model, Variable input, string path) => Export(model, [input], path);

    /// <summary>
    /// Writes <paramref name="model"/> called on <paramref name="inputs"/> to <paramref name="path"/> as an ONNX
    /// model with inputs <c>input0</c>, <c>input1</c>, … (<c>input</c> for one) and the output <c>output</c>.
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// The forward pass uses a function with no ONNX form (the message names it); the file is left as it was.
    /// </exception>
    public static void Export(Layer model, Variable[] inputs, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        Export(xs => [model.Call(xs)], inputs, path, model.GetType().Name, model);
    }

    /// <summary>
    /// Writes <paramref name="function"/> of <paramref name="input"/> to <paramref name="path"/> as an ONNX model
    /// with the input <c>input</c> and the output <c>output</c>.
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// The function calls one with no ONNX form (the message names it); the file is left as it was.
    /// </exception>
    public static void Export(Func<Variable, Variable> function, Variable input, string path)
    {
        ArgumentNullException.ThrowIfNull(function);
        Export(xs => [function(xs[0])], [input], path, "main", null);
    }

    /// <summary>
    /// Writes <paramref name="function"/> of <paramref name="inputs"/> to <paramref name="path"/> as an ONNX model
    /// with inputs <c>input0</c>, <c>input1</c>, … and outputs <c>output0</c>, <c>output1</c>, … (no digit for one).
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// The function calls one with no ONNX form (the message names it); the file is left as it was.
    /// </exception>
    public static void Export(Func<Variable[], Variable[]> function, Variable[] inputs, string path)
    {
        ArgumentNullException.ThrowIfNull(function);
        Export(function, inputs, path, "main", null);
    }

    private static void Export(
        Func<Variable[], Variable[]> forward, Variable[] inputs, string path, string name, Layer? model)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckInputs(inputs);
        ProtoMessage graph;
        using (Config.UsingConfig(Config.EnableBackpropName, true))
        using (Config.TestMode())
        using (var composites = Composite.Record())
        {
            var outputs = forward((Variable[])inputs.Clone());
            CheckOutputs(outputs);
            graph = OnnxGraph.Build(name, inputs, outputs, composites, NamesIn(model));
        }
        AtomicFile.Write(path, OnnxProto.Model(graph, Opset).WriteTo);
    }

    private static void CheckInputs(Variable[] inputs)
    {
        if (inputs.Length == 0)
            throw new ArgumentException("ONNX export: give at least one example input", nameof(inputs));
        var seen = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"ONNX export: input {i} is null");
            if (x.IsDisposed)
                throw x.DisposedError($"ONNX export: input {i}");
            if (!seen.Add(x))
            {
                string message = $"ONNX export: input {i} is also an earlier input; give each once";
                throw new ArgumentException(message, nameof(inputs));
            }
        }
    }

    private static void CheckOutputs(Variable[]? outputs)
    {
        if (outputs is null || outputs.Length == 0)
            throw new InvalidOperationException("ONNX export: the forward pass returned no output");
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is not { } y)
                throw new InvalidOperationException($"ONNX export: output {i} of the forward pass is null");
            if (y.IsDisposed)
                throw y.DisposedError($"ONNX export: output {i}");
        }
    }

    /// <summary>The model's parameters (by variable) and buffers (by tensor) with their paths.</summary>
    private static Dictionary<object, string> NamesIn(Layer? model)
    {
        var names = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        if (model is null)
            return names;
        foreach (var (name, parameter) in model.NamedParams())
            names.TryAdd(parameter, name);
        foreach (var (name, buffer) in model.NamedBuffers())
            names.TryAdd(buffer, name);
        return names;
    }
}
