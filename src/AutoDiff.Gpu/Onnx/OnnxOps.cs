using AutoDiff.Gpu.Functions;
using static AutoDiff.Gpu.OnnxProto;

namespace AutoDiff.Gpu;

/// <summary>
/// The ONNX form (operator set 17) of each function and composite an export can write: one row each, keyed by its
/// type. Scalars become constants of the input's element type; shapes and axes are int64 constants.
/// </summary>
internal static class OnnxOps
{
    private static readonly Dictionary<Type, Action<OnnxGraph, OnnxCall>> Rows = new()
    {
        [typeof(Add)] = Same("Add"),
        [typeof(Sub)] = Same("Sub"),
        [typeof(Mul)] = Same("Mul"),
        [typeof(Div)] = Same("Div"),
        [typeof(Exp)] = Same("Exp"),
        [typeof(Log)] = Same("Log"),
        [typeof(Sin)] = Same("Sin"),
        [typeof(Cos)] = Same("Cos"),
        [typeof(Tanh)] = Same("Tanh"),
        [typeof(Sigmoid)] = Same("Sigmoid"),
        [typeof(ReLU)] = Same("Relu"),
        [typeof(Dropout)] = Same("Identity"),
        [typeof(Square)] = (g, c) => g.Node("Mul", [c.Inputs[0], c.Inputs[0]], c.Output),
        [typeof(Affine)] = Row<Affine>(WriteAffine),
        [typeof(DivScalar)] = Row<DivScalar>((g, c, f) =>
            g.Node("Div", [c.Inputs[0], ScalarOf(g, c, f.Divisor)], c.Output)),
        [typeof(RDivScalar)] = Row<RDivScalar>((g, c, f) =>
            g.Node("Div", [ScalarOf(g, c, f.Dividend), c.Inputs[0]], c.Output)),
        [typeof(Pow)] = Row<Pow>((g, c, f) => g.Node("Pow", [c.Inputs[0], ScalarOf(g, c, f.Exponent)], c.Output)),
        [typeof(Clip)] = Row<Clip>((g, c, f) =>
            g.Node("Clip", [c.Inputs[0], ScalarOf(g, c, f.Low), ScalarOf(g, c, f.High)], c.Output)),
        [typeof(LeakyReLU)] = Row<LeakyReLU>(WriteLeakyReLU),
        [typeof(Softmax)] = Row<Softmax>((g, c, f) =>
            g.Node("Softmax", c.Inputs, c.Output, Attribute("axis", f.Axis))),
        [typeof(LogSoftmax)] = Row<LogSoftmax>((g, c, f) =>
            g.Node("LogSoftmax", c.Inputs, c.Output, Attribute("axis", f.Axis))),
        [typeof(Linear)] = (g, c) => g.Node("Gemm", c.Inputs, c.Output),
        [typeof(MatMul)] = Row<MatMul>(WriteMatMul),
        [typeof(Reshape)] = (g, c) => g.Node("Reshape", [c.Inputs[0], ShapeOf(g, c.OutputVariable.Shape)], c.Output),
        [typeof(Transpose)] = Row<Transpose>((g, c, f) =>
            g.Node("Transpose", c.Inputs, c.Output, Attribute("perm", f.Order.Select(a => (long)a)))),
        [typeof(BroadcastTo)] = (g, c) =>
            g.Node("Expand", [c.Inputs[0], ShapeOf(g, c.OutputVariable.Shape)], c.Output),
        [typeof(SumTo)] = WriteSumTo,
        [typeof(Sum)] = Row<Sum>((g, c, f) =>
            g.Node("ReduceSum", [c.Inputs[0], g.Int64s(AxesOf(c, f.Axes))], c.Output, KeepDims(f.KeepDims))),
        [typeof(Mean)] = Row<Mean>((g, c, f) => Reduce(g, c, "ReduceMean", f.Axes, f.KeepDims)),
        [typeof(Max)] = Row<Max>((g, c, f) => Reduce(g, c, "ReduceMax", f.Axes, f.KeepDims)),
        [typeof(Min)] = Row<Min>((g, c, f) => Reduce(g, c, "ReduceMin", f.Axes, f.KeepDims)),
        [typeof(Composite.Convolution)] = Row<Composite.Convolution>(WriteConvolution),
        [typeof(Composite.Pooling)] = Row<Composite.Pooling>(WritePooling),
        [typeof(Composite.BatchNormalization)] = Row<Composite.BatchNormalization>(WriteBatchNorm),
    };

    /// <summary>The names of the functions and composites an export can write, sorted.</summary>
    public static IEnumerable<string> Names => Rows.Keys.Select(t => t.Name).Order(StringComparer.Ordinal);

    /// <summary>The row that writes <paramref name="op"/>.</summary>
    /// <exception cref="NotSupportedException">None does: the message names it and what can be written.</exception>
    public static Action<OnnxGraph, OnnxCall> Find(object op)
    {
        if (Rows.TryGetValue(op.GetType(), out var row))
            return row;
        string type = op.GetType().Name;
        string what = op is Function f && f.Name != type ? $"{type} ({f.Name})" : type;
        throw new NotSupportedException(
            $"ONNX export: the function {what} has no ONNX form; the graph may hold only {string.Join(", ", Names)}");
    }

    private static Action<OnnxGraph, OnnxCall> Same(string opType) => (g, c) => g.Node(opType, c.Inputs, c.Output);

    private static Action<OnnxGraph, OnnxCall> Row<T>(Action<OnnxGraph, OnnxCall, T> write) =>
        (g, c) => write(g, c, (T)c.Op);

    private static string ScalarOf(OnnxGraph g, OnnxCall c, double value) => g.Scalar(value, c.OutputVariable.DType);

    private static string ShapeOf(OnnxGraph g, Shape shape) => g.Int64s(OnnxGraph.Dims(shape));

    private static ProtoMessage KeepDims(bool keep) => Attribute("keepdims", keep ? 1 : 0);

    private static ProtoMessage Pair(string name, (int H, int W) value) => Attribute(name, [value.H, value.W]);

    /// <summary>The axes of a reduction, every axis of its input for none.</summary>
    private static long[] AxesOf(OnnxCall c, IReadOnlyList<int> axes) =>
        (axes.Count > 0 ? axes : Enumerable.Range(0, c.InputVariables[0]!.NDim)).Select(a => (long)a).ToArray();

    /// <summary>A reduction whose axes are an attribute (until operator set 18).</summary>
    private static void Reduce(OnnxGraph g, OnnxCall c, string opType, IReadOnlyList<int> axes, bool keepDims) =>
        g.Node(opType, c.Inputs, c.Output, Attribute("axes", AxesOf(c, axes)), KeepDims(keepDims));

    /// <summary>x·a + b: a Neg, a Mul, an Add, or a Mul then an Add, as the engine rounds it.</summary>
    private static void WriteAffine(OnnxGraph g, OnnxCall c, Affine f)
    {
        string x = c.Inputs[0];
        bool adds = !Affine.IsNoTerm(f.Term);
        if (!adds && f.Factor == -1)
        {
            g.Node("Neg", [x], c.Output);
            return;
        }
        if (!adds)
        {
            g.Node("Mul", [x, ScalarOf(g, c, f.Factor)], c.Output);
            return;
        }
        string scaled = f.Factor == 1 ? x : g.Node("Mul", [x, ScalarOf(g, c, f.Factor)]);
        g.Node("Add", [scaled, ScalarOf(g, c, f.Term)], c.Output);
    }

    /// <summary>
    /// LeakyRelu, whose slope is a float attribute; for float64 a PRelu with the slope as a double constant, so that
    /// it is not rounded to float.
    /// </summary>
    private static void WriteLeakyReLU(OnnxGraph g, OnnxCall c, LeakyReLU f)
    {
        if (c.OutputVariable.DType == DType.Float32)
            g.Node("LeakyRelu", c.Inputs, c.Output, Attribute("alpha", (float)f.Slope));
        else
            g.Node("PRelu", [c.Inputs[0], ScalarOf(g, c, f.Slope)], c.Output);
    }

    /// <summary>A product of matrices; with an operand read transposed, a Gemm that transposes it.</summary>
    private static void WriteMatMul(OnnxGraph g, OnnxCall c, MatMul f)
    {
        if (!f.TransposeA && !f.TransposeB)
            g.Node("MatMul", c.Inputs, c.Output);
        else
        {
            var transA = Attribute("transA", f.TransposeA ? 1 : 0);
            g.Node("Gemm", c.Inputs, c.Output, transA, Attribute("transB", f.TransposeB ? 1 : 0));
        }
    }

    /// <summary>sum_to: a ReduceSum over the broadcast axes, kept, then a Reshape where leading axes go.</summary>
    private static void WriteSumTo(OnnxGraph g, OnnxCall c)
    {
        var x = c.InputVariables[0]!;
        var shape = c.OutputVariable.Shape;
        long[] axes = x.Shape.SumToAxes(shape).Select(a => (long)a).ToArray();
        var kept = Sum.KeptShape(x.Shape, [.. axes.Select(a => (int)a)]);
        if (axes.Length == 0)
        {
            g.Node("Reshape", [c.Inputs[0], ShapeOf(g, shape)], c.Output);
            return;
        }
        bool reshape = !kept.Equals(shape);
        string sum = g.Node("ReduceSum", [c.Inputs[0], g.Int64s(axes)], reshape ? null : c.Output, KeepDims(true));
        if (reshape)
            g.Node("Reshape", [sum, ShapeOf(g, shape)], c.Output);
    }

    private static void WriteConvolution(OnnxGraph g, OnnxCall c, Composite.Convolution op)
    {
        var w = c.InputVariables[1]!.Shape;
        var kernel = Pair("kernel_shape", (w[2], w[3]));
        g.Node("Conv", c.Inputs, c.Output, kernel, Pair("strides", op.Stride), Pads(op.Pad));
    }

    /// <summary>
    /// Max pooling pads with zeros that take part, as DeZero's (ONNX's MaxPool ignores its padding): a Pad first.
    /// Average pooling counts the padding, as DeZero's.
    /// </summary>
    private static void WritePooling(OnnxGraph g, OnnxCall c, Composite.Pooling op)
    {
        var (kernel, strides) = (Pair("kernel_shape", op.Kernel), Pair("strides", op.Stride));
        if (!op.Max)
        {
            var countPadding = Attribute("count_include_pad", 1);
            g.Node("AveragePool", c.Inputs, c.Output, kernel, strides, Pads(op.Pad), countPadding);
            return;
        }
        string x = c.Inputs[0];
        if (op.Pad != (0, 0))
        {
            string pads = g.Int64s([0, 0, op.Pad.H, op.Pad.W, 0, 0, op.Pad.H, op.Pad.W]);
            x = g.Node("Pad", [x, pads, ScalarOf(g, c, 0)]);
        }
        g.Node("MaxPool", [x], c.Output, kernel, strides);
    }

    private static void WriteBatchNorm(OnnxGraph g, OnnxCall c, Composite.BatchNormalization op)
    {
        string mean = g.Initializer(op.RunningMean, "running_mean");
        string variance = g.Initializer(op.RunningVar, "running_var");
        g.Node("BatchNormalization", [.. c.Inputs, mean, variance], c.Output, Attribute("epsilon", (float)op.Eps));
    }

    /// <summary>ONNX's pads: the start of each spatial axis, then the end of each.</summary>
    private static ProtoMessage Pads((int H, int W) pad) => Attribute("pads", [pad.H, pad.W, pad.H, pad.W]);
}
