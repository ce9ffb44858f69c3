using System.Globalization;
using System.Text.RegularExpressions;
using AutoDiff.Gpu.Examples;

namespace AutoDiff.Gpu.Tests.Docs;

/// <summary>
/// The book's steps in examples/, run briefly, against what DeZero (the book's code on NumPy 1.24) prints for the
/// same program: exact where the text is exact, within a relative tolerance where a GPU may contract a multiply-add,
/// and looser where DeZero keeps its weights in float32 (steps 46 and 59).
/// </summary>
public abstract partial class ExampleTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private const double Tight = 1e-12;

    private Device Device => fixture.Require();

    [Fact]
    public void Step24_gives_the_books_gradients() =>
        Assert.Equal(
            [
                "sphere variable(2.0) variable(2.0)",
                "matyas variable(0.040000000000000036) variable(0.040000000000000036)",
                "goldstein variable(-5376.0) variable(8064.0)",
            ],
            ConsoleCapture.Lines(() => Step24.Run(Device)));

    [Fact]
    public void Step28_walks_the_Rosenbrock_valley_as_DeZero()
    {
        var lines = ConsoleCapture.Lines(() => Step28.Run(Device));

        Assert.Equal(Step28.Iterations, lines.Length);
        AssertNumbers([0.0, 2.0], lines[0], 0);
        AssertNumbers([0.002, 1.6], lines[1], Tight);
        AssertNumbers([0.0052759968, 1.2800008], lines[2], Tight);
        AssertNumbers([0.009966698110960038, 1.0240062072284468], lines[3], Tight);
        AssertNumbers([0.6834917840420289, 0.46565059996514135], lines[^1], 1e-10);
    }

    [Fact]
    public void Step33_converges_in_the_books_Newton_iterations()
    {
        double[] book = [2.0, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978, 1.0009084519430513,
            1.0000012353089454, 1.000000000002289, 1.0, 1.0, 1.0];

        var lines = ConsoleCapture.Lines(() => Step33.Run(Device));

        Assert.Equal(book.Length, lines.Length);
        for (int i = 0; i < book.Length; i++)
        {
            Assert.StartsWith($"{i} ", lines[i], StringComparison.Ordinal);
            AssertNumbers([book[i]], lines[i], Tight);
        }
    }

    [Fact]
    public void Step35_differentiates_tanh_twice_and_writes_the_graph()
    {
        var folder = Directory.CreateTempSubdirectory("autodiff-step35-");
        try
        {
            var lines = ConsoleCapture.Lines(() => Step35.Run(Device), folder.FullName);

            Assert.Equal(3, lines.Length);
            AssertNumbers([0.41997434161402614], lines[0], Tight);
            AssertNumbers([-0.6397000084492246], lines[1], Tight);
            string dot = File.ReadAllText(Path.Combine(folder.FullName, "tanh.dot"));
            Assert.StartsWith("digraph", dot, StringComparison.Ordinal);
            Assert.Contains("gx2", dot, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Step42_fits_the_books_line()
    {
        var lines = ConsoleCapture.Lines(() => Step42.Run(Device));

        Assert.Equal(Step42.Iterations, lines.Length);
        AssertNumbers([0.6443345843402245, 1.2947338870645597, 42.296340129442335], lines[0], Tight);
        AssertNumbers([1.126723451656515, 2.269593512304024, 23.97380754378544], lines[1], Tight);
        AssertNumbers([2.118073690511974, 5.466089050922982, 0.07908606512411756], lines[^1], 1e-10);
    }

    [Fact]
    public void Step43_prints_DeZeros_losses() =>
        AssertLosses(
            ConsoleCapture.Lines(() => Step43.Run(Device, 1001)), [0.8473695850105871, 0.2514286285183606], Tight);

    [Fact]
    public void Step46_prints_DeZeros_losses_to_float32s_precision()
    {
        var lines = ConsoleCapture.Lines(() => Step46.Run(Device, 1001));

        AssertLosses(lines[..1], [0.8165178492839196], Tight);
        AssertLosses(lines[1..], [0.24990280802148895], 1e-6);
    }

    [Fact]
    public void Step48_prints_DeZeros_epoch_losses() =>
        Assert.Equal(
            [
                "epoch 1, loss 1.13", "epoch 2, loss 1.05", "epoch 3, loss 0.95", "epoch 4, loss 0.92",
                "epoch 5, loss 0.87",
            ],
            ConsoleCapture.Lines(() => Step48.Run(Device, 5)));

    [Fact]
    public void Step53_goes_on_from_the_weights_it_saved()
    {
        var folder = Directory.CreateTempSubdirectory("autodiff-step53-");
        try
        {
            var first = ConsoleCapture.Lines(() => Step53.Run(Device, 2), folder.FullName);
            Assert.True(File.Exists(Path.Combine(folder.FullName, "my_mlp.npz")));
            var second = ConsoleCapture.Lines(() => Step53.Run(Device, 1), folder.FullName);

            Assert.Equal(2, first.Length);
            Assert.Single(second);
            double start = Numbers(first[0])[1], saved = Numbers(first[1])[1], resumed = Numbers(second[0])[1];
            Assert.True(saved < start && resumed < saved, $"losses {start}, {saved}, then {resumed} after loading");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Step59_prints_DeZeros_epoch_losses() =>
        Assert.Equal(
            ["| epoch 1 | loss 0.290638", "| epoch 2 | loss 0.018005"],
            ConsoleCapture.Lines(() => Step59.Run(Device, 2)));

    private static void AssertLosses(string[] lines, double[] expected, double relative)
    {
        Assert.Equal(expected.Length, lines.Length);
        for (int i = 0; i < expected.Length; i++)
            AssertNumbers([expected[i]], lines[i], relative);
    }

    /// <summary>The numbers in <c>variable(…)</c> of <paramref name="line"/>, within a relative tolerance.</summary>
    private static void AssertNumbers(double[] expected, string line, double relative)
    {
        var values = ValueRegex().Matches(line)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(values.Length == expected.Length, $"'{line}': expected {expected.Length} values");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(values[i] - expected[i]) <= relative * Math.Abs(expected[i]),
                $"'{line}': value {i} is {values[i]:R}, DeZero printed {expected[i]:R}");
        }
    }

    private static double[] Numbers(string line) =>
        NumberRegex().Matches(line).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();

    [GeneratedRegex(@"variable\(\[*(-?[0-9.eE+-]+)\]*\)")]
    private static partial Regex ValueRegex();

    [GeneratedRegex(@"-?[0-9]+(\.[0-9]+)?")]
    private static partial Regex NumberRegex();
}

[Collection(nameof(ConsoleCapture))]
public sealed class CpuExampleTests(CpuFixture fixture) : ExampleTests<CpuFixture>(fixture);

[Collection(nameof(ConsoleCapture))]
public sealed class CudaExampleTests(CudaFixture fixture) : ExampleTests<CudaFixture>(fixture);

[Collection(nameof(ConsoleCapture))]
public sealed class OpenCLExampleTests(OpenCLFixture fixture) : ExampleTests<OpenCLFixture>(fixture);
