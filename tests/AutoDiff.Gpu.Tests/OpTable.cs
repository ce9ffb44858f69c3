using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>One differentiable function under test, on inputs of given shapes.</summary>
/// <param name="Name">The function.</param>
/// <param name="Apply">The function on device variables.</param>
/// <param name="Reference">The same on host arrays, in float64.</param>
/// <param name="Shapes">The inputs' shapes.</param>
/// <param name="Low">Inputs are drawn from [Low, High) (keep away from kinks and poles).</param>
/// <param name="High">See <paramref name="Low"/>.</param>
public sealed record OpCase(string Name, Func<Variable[], Variable> Apply, Func<HostArray[], HostArray> Reference, Shape[] Shapes, double Low = -2, double High = 2)
{
    /// <summary>The case's key in test names: the function and its input shapes.</summary>
    public string Key => $"{Name} {string.Join(" ", Shapes.Select(s => s.ToString()))}";

    /// <summary>The inputs, deterministic per case.</summary>
    public HostArray[] Inputs() => Shapes.Select((s, i) => HostArray.Random(s, Key.Length + (31 * i), Low, High)).ToArray();
}

/// <summary>
/// The table of differentiable functions: one row (a helper call below) per function. Every row is run on every
/// accelerator present, in float32 and float64: the forward against the host reference and the backward
/// against central differences (<see cref="GradientCheck"/>).
/// </summary>
public static partial class OpTable
{
    /// <summary>Sizes for elementwise functions: one element, a few, and sizes that are not multiples of a warp, pack or group.</summary>
    private static readonly int[] Sizes = [1, 7, 1000, (6 * 512) + 7];

    /// <summary>Shape pairs that broadcast (each way round is a case), up to rank 10.</summary>
    private static readonly (Shape A, Shape B)[] Broadcasts =
    [
        (new Shape(7, 1000), new Shape(1000)),
        (new Shape(3, 1), new Shape(1, 4)),
        (Shape.Scalar, new Shape(5)),
        (new Shape(2, 3, 4), new Shape(3, 1)),
        // Rank 10 with no two dimensions that merge: more than a strided launch holds, split by its launcher.
        (new Shape(2, 1, 2, 1, 2, 1, 2, 1, 2, 1), new Shape(1, 3, 1, 3, 1, 3, 1, 3, 1, 3)),
    ];

    private static readonly Lazy<Dictionary<string, OpCase>> All = new(() => Build().ToDictionary(c => c.Key));

    /// <summary>Every case by key.</summary>
    public static IReadOnlyDictionary<string, OpCase> Cases => All.Value;

    /// <summary>Test data: every case key with both element types.</summary>
    public static TheoryData<string, DType> Keys()
    {
        var data = new TheoryData<string, DType>();
        foreach (var key in Cases.Keys)
        {
            data.Add(key, DType.Float32);
            data.Add(key, DType.Float64);
        }
        return data;
    }

    /// <summary>
    /// One case a function with both element types: its largest of at most 1024 elements an input (whole packs and
    /// a tail where the sizes give one), else its smallest.
    /// </summary>
    public static TheoryData<string, DType> OneCaseAFunction()
    {
        var data = new TheoryData<string, DType>();
        foreach (var cases in Cases.Values.GroupBy(c => c.Name))
        {
            long Size(OpCase c) => c.Shapes.Max(s => s.Length);
            var pick = cases.Where(c => Size(c) <= 1024).MaxBy(Size) ?? cases.MinBy(Size)!;
            data.Add(pick.Key, DType.Float32);
            data.Add(pick.Key, DType.Float64);
        }
        return data;
    }

    /// <summary>Every row: each family of functions adds its rows in its own file (OpTable.*.cs).</summary>
    private static IEnumerable<OpCase> Build() => ElementwiseRows().Concat(ShapeRows()).Concat(LinearAlgebraRows()).Concat(ConvolutionRows());

    /// <summary>The same elements in another shape.</summary>
    public static HostArray Reshaped(HostArray h, Shape shape) => new(h.Data, shape);

    /// <summary>An elementwise function of one input, at every size.</summary>
    public static IEnumerable<OpCase> Unary(string name, Func<Variable, Variable> f, Func<double, double> reference, double low = -2, double high = 2) =>
        Sizes.Select(n => new OpCase(name, v => f(v[0]), h => h[0].Map(reference), [new Shape(n)], low, high));

    /// <summary>An elementwise function of two inputs, at every size, and on shapes that broadcast.</summary>
    public static IEnumerable<OpCase> Binary(string name, Func<Variable, Variable, Variable> f, Func<double, double, double> reference, bool broadcast = true, double low = -2, double high = 2)
    {
        var shapes = Sizes.Select(n => (A: new Shape(n), B: new Shape(n)));
        if (broadcast)
            shapes = shapes.Concat(Broadcasts).Concat(Broadcasts.Select(p => (p.B, p.A)));
        return shapes.Select(p => new OpCase(name, v => f(v[0], v[1]), h => HostArray.Zip(h[0], h[1], reference), [p.A, p.B], low, high));
    }
}

/// <summary>Runs <see cref="OpTable"/> on one accelerator kind; bound to each kind below.</summary>
public abstract class OpTableTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [MemberData(nameof(OpTable.Keys), MemberType = typeof(OpTable))]
    public void Forward_matches_the_host_reference(string key, DType dtype) => OpTableChecks.Forward(Device, key, dtype);

    [Theory]
    [MemberData(nameof(OpTable.Keys), MemberType = typeof(OpTable))]
    public void Backward_matches_central_differences(string key, DType dtype) =>
        OpTableChecks.Backward(Device, key, dtype);
}

/// <summary>The checks of one <see cref="OpTable"/> row on a device.</summary>
public static class OpTableChecks
{
    /// <summary>The forward against the host reference.</summary>
    public static void Forward(Device device, string key, DType dtype)
    {
        var c = OpTable.Cases[key];
        var inputs = c.Inputs().Select(h => h.Rounded(dtype)).ToArray();
        var y = c.Apply(inputs.Select(h => new Variable(h.ToTensor(device, dtype))).ToArray());
        var expected = c.Reference(inputs);
        Assert.Equal(expected.Shape, y.Shape);
        Assert.Equal(dtype, y.DType);
        var actual = y.ToDoubleArray();
        double relative = dtype == DType.Float32 ? 2e-6 : 1e-13;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected.Data[i];
            double tolerance = (relative * Math.Abs(e)) + (dtype == DType.Float32 ? 1e-6 : 1e-14);
            Assert.True(Math.Abs(actual[i] - e) <= tolerance || (double.IsNaN(e) && double.IsNaN(actual[i])), $"{key} element {i}: {actual[i]:R}, expected {e:R}");
        }
    }

    /// <summary>The backward against central differences.</summary>
    public static void Backward(Device device, string key, DType dtype)
    {
        var c = OpTable.Cases[key];
        var inputs = c.Inputs().Select(h => new Variable(h.ToTensor(device, dtype))).ToArray();
        var options = dtype == DType.Float32 ? GradientCheckOptions.Float32 : new GradientCheckOptions();
        var result = GradientCheck.Run(c.Apply, inputs, options);
        Assert.True(result.Passed, $"{key}: {result.Detail}");
    }
}

public sealed class CpuOpTableTests(CpuFixture fixture) : OpTableTests<CpuFixture>(fixture);

public sealed class CudaOpTableTests(CudaFixture fixture) : OpTableTests<CudaFixture>(fixture);

public sealed class OpenCLOpTableTests(OpenCLFixture fixture) : OpTableTests<OpenCLFixture>(fixture);
