using System.Buffers.Binary;
using System.Globalization;

namespace AutoDiff.Gpu;

/// <summary>One operation to write: a function or a composite, its inputs' and output's names and variables.</summary>
/// <param name="Op">The <see cref="Function"/> or <see cref="Composite"/>.</param>
/// <param name="Inputs">The inputs' value names; empty for an optional input not given.</param>
/// <param name="InputVariables">The inputs; null for an optional input not given.</param>
/// <param name="Output">The name the last node must give its output.</param>
/// <param name="OutputVariable">The output.</param>
internal sealed record OnnxCall(
    object Op, string[] Inputs, Variable?[] InputVariables, string Output, Variable OutputVariable);

/// <summary>
/// An ONNX graph traced from a forward pass: walked from the outputs back through each variable's creator (or the
/// composite that marked it) to the inputs; every other variable without a creator (a parameter, a constant)
/// becomes an initializer. Nodes come out in topological order, each operation written by its row in
/// <see cref="OnnxOps"/>.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<Variable, string> names = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Variable, string> reserved = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Variable> read = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, string> tensors = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, string> constants = [];
    private readonly HashSet<string> taken = [];
    private readonly List<ProtoMessage> nodes = [], initializers = [];
    private readonly Composite.Recording composites;
    private readonly IReadOnlyDictionary<object, string> known;

    private OnnxGraph(Composite.Recording composites, IReadOnlyDictionary<object, string> known) =>
        (this.composites, this.known) = (composites, known);

    /// <summary>
    /// The GraphProto from <paramref name="inputs"/> (named <c>input</c>, or <c>input0</c>, <c>input1</c>, …) to
    /// <paramref name="outputs"/> (<c>output</c>, or <c>output0</c>, …). <paramref name="known"/> names parameters
    /// (by variable) and buffers (by tensor), as a layer's paths.
    /// </summary>
    /// <exception cref="NotSupportedException">An operation has no ONNX form; the message names it.</exception>
    /// <exception cref="InvalidOperationException">No output depends on an input.</exception>
    public static ProtoMessage Build(
        string name,
        Variable[] inputs,
        Variable[] outputs,
        Composite.Recording composites,
        IReadOnlyDictionary<object, string> known)
    {
        var graph = new OnnxGraph(composites, known);
        var inputInfos = new List<ProtoMessage>();
        for (int i = 0; i < inputs.Length; i++)
        {
            string inputName = graph.Fresh(inputs.Length == 1 ? "input" : $"input{i}");
            graph.names[inputs[i]] = inputName;
            inputInfos.Add(OnnxProto.ValueInfo(inputName, OnnxProto.Of(inputs[i].DType), inputs[i].Shape));
        }
        var outputNames = new string[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            outputNames[i] = graph.Fresh(outputs.Length == 1 ? "output" : $"output{i}");
            if (!graph.names.ContainsKey(outputs[i]))
                graph.reserved.TryAdd(outputs[i], outputNames[i]);
        }
        foreach (var y in outputs)
        {
            graph.Produce(y);
            graph.read.Add(y);
        }
        graph.CheckRead(inputs);
        var outputInfos = new List<ProtoMessage>();
        for (int i = 0; i < outputs.Length; i++)
        {
            // An input, a constant or a repeated output is no node's output: an Identity makes it one.
            if (graph.names[outputs[i]] != outputNames[i])
                graph.Node("Identity", [graph.names[outputs[i]]], outputNames[i]);
            outputInfos.Add(OnnxProto.ValueInfo(outputNames[i], OnnxProto.Of(outputs[i].DType), outputs[i].Shape));
        }
        return OnnxProto.Graph(name, graph.nodes, graph.initializers, inputInfos, outputInfos);
    }

    /// <summary>
    /// Adds a node and returns its output's name: <paramref name="output"/>, or a new one. Empty input names stand
    /// for optional inputs not given; trailing ones are dropped.
    /// </summary>
    public string Node(
        string opType, IReadOnlyList<string> inputs, string? output = null, params ProtoMessage[] attributes)
    {
        output ??= Fresh(opType);
        int count = inputs.Count;
        while (count > 0 && inputs[count - 1].Length == 0)
            count--;
        nodes.Add(OnnxProto.Node(opType, output, inputs.Take(count), [output], attributes));
        return output;
    }

    /// <summary>The name of a scalar constant of <paramref name="dtype"/> (one initializer per value).</summary>
    public string Scalar(double value, DType dtype)
    {
        byte[] raw = Raw(dtype, [value]);
        return Constant($"{dtype}:{Convert.ToHexString(raw)}", "c", raw, OnnxProto.Of(dtype), []);
    }

    /// <summary>The name of a 1-D int64 constant (shapes, axes, paddings; one initializer per value).</summary>
    public string Int64s(IReadOnlyList<long> values)
    {
        byte[] raw = Pack(values.ToArray(), BinaryPrimitives.WriteInt64LittleEndian);
        string key = "int64:" + string.Join(',', values);
        return Constant(key, "shape", raw, OnnxProto.ElementType.Int64, [values.Count]);
    }

    /// <summary>
    /// The name of an initializer holding <paramref name="tensor"/>: a buffer's path where known, else
    /// <paramref name="stem"/>.
    /// </summary>
    public string Initializer(Tensor tensor, string stem)
    {
        if (tensors.TryGetValue(tensor, out string? name))
            return name;
        name = Fresh(known.TryGetValue(tensor, out string? path) ? path : stem);
        initializers.Add(OnnxProto.Tensor(name, OnnxProto.Of(tensor.DType), Dims(tensor.Shape), Raw(tensor)));
        return tensors[tensor] = name;
    }

    /// <summary>Every dimension of <paramref name="shape"/> as int64, as ONNX writes shapes.</summary>
    public static long[] Dims(Shape shape) => shape.ToArray().Select(d => (long)d).ToArray();

    /// <summary>Writes the operations that make <paramref name="output"/>, each after those of its inputs.</summary>
    private void Produce(Variable output)
    {
        var pending = new Stack<(Variable Value, bool InputsDone)>();
        pending.Push((output, false));
        while (pending.Count > 0)
        {
            var (v, inputsDone) = pending.Pop();
            if (names.ContainsKey(v))
                continue;
            var (op, inputs) = ProducerOf(v);
            if (op is null)
            {
                names[v] = Initializer(v);
                continue;
            }
            if (inputsDone)
            {
                Write(op, inputs, v);
                continue;
            }
            pending.Push((v, true));
            foreach (var x in inputs)
            {
                if (x is not null && !names.ContainsKey(x))
                    pending.Push((x, false));
            }
        }
    }

    /// <summary>
    /// Refuses inputs that no output depends on: the forward pass read them outside the graph (under
    /// <see cref="Config.NoGrad"/>, or through <see cref="Variable.Data"/>), and what it made of them would be
    /// written as constants.
    /// </summary>
    private void CheckRead(Variable[] inputs)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!read.Contains(inputs[i]))
            {
                throw new InvalidOperationException(
                    $"ONNX export: no output depends on input {i}; a forward pass that reads it outside the graph " +
                    "(under Config.NoGrad, or through Data) would be written with constants in its place");
            }
        }
    }

    /// <summary>The composite or function that made <paramref name="v"/> and its inputs; none for a leaf.</summary>
    private (object? Op, Variable?[] Inputs) ProducerOf(Variable v)
    {
        if (composites.TryGet(v, out var composite))
            return composite;
        return v.Creator is { } f ? (f, f.Inputs.ToArray()) : (null, []);
    }

    private void Write(object op, Variable?[] inputs, Variable v)
    {
        var convert = OnnxOps.Find(op);
        string output = reserved.TryGetValue(v, out string? wanted) ? wanted : Fresh(op.GetType().Name);
        var inputNames = Array.ConvertAll(inputs, x => x is null ? string.Empty : names[x]);
        read.UnionWith(inputs.OfType<Variable>());
        convert(this, new OnnxCall(op, inputNames, inputs, output, v));
        names[v] = output;
    }

    private string Initializer(Variable v)
    {
        if (known.TryGetValue(v, out string? path))
            return Initializer(v.Data, path);
        return Initializer(v.Data, v.Name ?? "constant");
    }

    private string Constant(string key, string stem, byte[] raw, OnnxProto.ElementType type, long[] dims)
    {
        if (constants.TryGetValue(key, out string? name))
            return name;
        name = Fresh(stem);
        initializers.Add(OnnxProto.Tensor(name, type, dims, raw));
        return constants[key] = name;
    }

    /// <summary><paramref name="stem"/>, or with the first free suffix <c>_1</c>, <c>_2</c>, … if taken.</summary>
    private string Fresh(string stem)
    {
        string name = stem;
        for (int i = 1; !taken.Add(name); i++)
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}_{i}");
        return name;
    }

    /// <summary>The tensor's elements, little-endian, as ONNX's raw_data holds them (read from the device).</summary>
    private static byte[] Raw(Tensor tensor) => tensor.DType == DType.Float32
        ? Pack(tensor.ToArray<float>(), BinaryPrimitives.WriteSingleLittleEndian)
        : Pack(tensor.ToArray<double>(), BinaryPrimitives.WriteDoubleLittleEndian);

    private static byte[] Raw(DType dtype, double[] values) => dtype == DType.Float32
        ? Pack(Array.ConvertAll(values, v => (float)v), BinaryPrimitives.WriteSingleLittleEndian)
        : Pack(values, BinaryPrimitives.WriteDoubleLittleEndian);

    private static unsafe byte[] Pack<T>(T[] values, SpanWriter<T> write)
        where T : unmanaged
    {
        var raw = new byte[values.Length * sizeof(T)];
        for (int i = 0; i < values.Length; i++)
            write(raw.AsSpan(i * sizeof(T)), values[i]);
        return raw;
    }

    private delegate void SpanWriter<T>(Span<byte> destination, T value);
}
