using System.Globalization;
using AutoDiff.Gpu.Experiments;

namespace AutoDiff.Gpu.Tests;

/// <summary>The experiments program's <c>sine</c> command, run as a child process as a user runs it.</summary>
public sealed class SineProgramTests
{
    [Fact]
    public void Sine_prints_the_loss_curve_against_NumPy_and_the_time_per_iteration()
    {
        var run = ExperimentsProgram.Run("sine", "--iters", "101", "--every", "50", "--warmup", "2", "--format", "csv", "--quiet", "--device", "cpu");

        run.AssertSucceeded();
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = ExperimentsProgramTests.CsvFields(lines[0]);
        var rows = lines[1..].Select(ExperimentsProgramTests.CsvFields).ToList();
        int Column(string name) => header.IndexOf(name);
        Assert.Equal(["0", "50", "100"], rows.Select(r => r[Column("iteration")]));
        Assert.All(rows, r => Assert.Equal("float64", r[Column("dtype")]));
        Assert.All(rows, r => Assert.StartsWith("ok", r[Column("check")], StringComparison.Ordinal));
        Assert.All(rows, r => Assert.True(double.Parse(r[Column("us_per_iteration")], CultureInfo.InvariantCulture) > 0));
        // Iterations 0 and 100 have NumPy's loss beside them, and match it.
        foreach (var r in new[] { rows[0], rows[2] })
        {
            double loss = double.Parse(r[Column("loss")], CultureInfo.InvariantCulture);
            double numpy = double.Parse(r[Column("numpy_loss")], CultureInfo.InvariantCulture);
            Assert.Equal(numpy, loss, 1e-12);
        }
        Assert.Equal(string.Empty, rows[1][Column("numpy_loss")]);
    }

    [Fact]
    public void Sine_draws_the_loss_curve_as_svg_and_the_table_names_the_device_and_the_product()
    {
        string folder = Directory.CreateTempSubdirectory("autodiff-sine-").FullName;
        try
        {
            string svg = Path.Combine(folder, "loss.svg");
            var run = ExperimentsProgram.Run("sine", "--iters", "20", "--every", "10", "--warmup", "0", "--dtype", "float32", "--quiet", "--device", "cpu", "--svg", svg);

            run.AssertSucceeded();
            Assert.Contains("device cpu:0", run.Output, StringComparison.Ordinal);
            Assert.Contains("matmul Blocked", run.Output, StringComparison.Ordinal);
            Assert.Contains("float32", run.Output, StringComparison.Ordinal);
            Assert.Contains("per iteration", run.Output, StringComparison.Ordinal);
            string text = File.ReadAllText(svg);
            Assert.StartsWith("<svg", text, StringComparison.Ordinal);
            Assert.Contains("<polyline", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("--lr", "-1")]
    [InlineData("--iters", "0")]
    [InlineData("--dtype", "int8")]
    public void Sine_with_a_bad_option_exits_2_naming_it(string option, string value)
    {
        var run = ExperimentsProgram.Run("sine", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.Contains(option, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reference_losses_are_NumPys_run_of_the_book()
    {
        // The NumPy baseline prints these (baselines/dezero_numpy_sine.py): 0.847370 first, 0.076987 last.
        Assert.Equal(0.847370, SineData.ReferenceLosses[0], 6);
        Assert.Equal(0.076987, SineData.ReferenceLosses[^1], 6);
        Assert.Equal(100, SineData.X.Length);
        Assert.Equal(100, SineData.Y.Length);
    }
}
