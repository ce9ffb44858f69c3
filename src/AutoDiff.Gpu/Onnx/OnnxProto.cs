namespace AutoDiff.Gpu;

/// <summary>
/// The few ONNX messages an export writes (<c>onnx.proto3</c>): ModelProto, GraphProto, NodeProto, AttributeProto,
/// TensorProto, ValueInfoProto and OperatorSetIdProto, each a function from its contents to a
/// <see cref="ProtoMessage"/> with ONNX's field numbers.
/// </summary>
internal static class OnnxProto
{
    /// <summary>The IR version of files with operator set 17 (IR_VERSION_2021_7_30).</summary>
    public const long IrVersion = 8;

    /// <summary>TensorProto.DataType's values for the element types an export writes.</summary>
    public enum ElementType
    {
        /// <summary>float32.</summary>
        Float = 1,

        /// <summary>int64 (shapes and axes).</summary>
        Int64 = 7,

        /// <summary>float64.</summary>
        Double = 11,
    }

    /// <summary>AttributeProto.AttributeType's values used here.</summary>
    private enum AttributeType
    {
        Float = 1,
        Int = 2,
        Ints = 7,
    }

    /// <summary>The ONNX element type of <paramref name="dtype"/>.</summary>
    public static ElementType Of(DType dtype) => dtype switch
    {
        DType.Float32 => ElementType.Float,
        DType.Float64 => ElementType.Double,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no ONNX element type for it"),
    };

    /// <summary>A ModelProto: the graph, the default domain's operator set, and who made it.</summary>
    public static ProtoMessage Model(ProtoMessage graph, int opset) => new ProtoMessage()
        .Int(1, IrVersion)
        .String(2, "AutoDiff.Gpu")
        .String(3, typeof(OnnxProto).Assembly.GetName().Version?.ToString() ?? "0")
        .Message(7, graph)
        .Message(8, new ProtoMessage().String(1, string.Empty).Int(2, opset));

    /// <summary>A GraphProto; <paramref name="nodes"/> must be in topological order.</summary>
    public static ProtoMessage Graph(
        string name,
        IEnumerable<ProtoMessage> nodes,
        IEnumerable<ProtoMessage> initializers,
        IEnumerable<ProtoMessage> inputs,
        IEnumerable<ProtoMessage> outputs) => new ProtoMessage()
        .Messages(1, nodes)
        .String(2, name)
        .Messages(5, initializers)
        .Messages(11, inputs)
        .Messages(12, outputs);

    /// <summary>A NodeProto of the default domain; an empty input name stands for an omitted optional input.</summary>
    public static ProtoMessage Node(
        string opType,
        string name,
        IEnumerable<string> inputs,
        IEnumerable<string> outputs,
        IEnumerable<ProtoMessage> attributes)
    {
        var node = new ProtoMessage();
        foreach (string input in inputs)
            node.String(1, input);
        foreach (string output in outputs)
            node.String(2, output);
        return node.String(3, name).String(4, opType).Messages(5, attributes);
    }

    /// <summary>An integer attribute.</summary>
    public static ProtoMessage Attribute(string name, long value) =>
        new ProtoMessage().String(1, name).Int(20, (int)AttributeType.Int).Int(3, value);

    /// <summary>A float attribute.</summary>
    public static ProtoMessage Attribute(string name, float value) =>
        new ProtoMessage().String(1, name).Int(20, (int)AttributeType.Float).Float(2, value);

    /// <summary>An attribute that is a list of integers.</summary>
    public static ProtoMessage Attribute(string name, IEnumerable<long> values) =>
        new ProtoMessage().String(1, name).Int(20, (int)AttributeType.Ints).Ints(8, values);

    /// <summary>A TensorProto holding <paramref name="raw"/>: its elements, little-endian, row-major.</summary>
    public static ProtoMessage Tensor(string name, ElementType type, IEnumerable<long> dims, byte[] raw) =>
        new ProtoMessage().Ints(1, dims).Int(2, (int)type).String(8, name).Bytes(9, raw);

    /// <summary>
    /// A ValueInfoProto: a graph input's or output's name, element type and shape (ValueInfoProto → TypeProto →
    /// TypeProto.Tensor → TensorShapeProto → Dimension).
    /// </summary>
    public static ProtoMessage ValueInfo(string name, ElementType type, Shape shape)
    {
        var dims = new ProtoMessage();
        foreach (int d in shape.Dimensions)
            dims.Message(1, new ProtoMessage().Int(1, d));
        var tensor = new ProtoMessage().Int(1, (int)type).Message(2, dims);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensor));
    }
}
