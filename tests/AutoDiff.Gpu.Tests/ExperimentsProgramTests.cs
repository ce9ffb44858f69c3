using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Smoke tests of the experiments program, run as a child process as a user runs it: its default run at a small
/// size, its lifetimes side by side, its other commands, and its answer to bad input (exit 2, one line).
/// </summary>
public sealed class ExperimentsProgramTests
{
    /// <summary>A small input whose pool fills its garbage budget in about a hundred iterations (256 KB tensors).</summary>
    private static readonly string[] Small = ["--size", "40", "--reps", "5", "--quiet"];

    [Fact]
    public void Default_run_at_a_small_size_has_one_checked_natural_row_per_mode()
    {
        var run = ExperimentsProgram.Run(Small);

        run.AssertSucceeded();
        var table = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int header = Array.FindIndex(table, line => line.StartsWith("mode ", StringComparison.Ordinal));
        Assert.True(header >= 0, $"no header row in:\n{run.Output}");
        string[] columns = Cells(table[header]);
        foreach (string column in new[] { "lifetime", "fusion", "median", "mean", "fastest", "first", "launches", "compiled", "peak/tensor", "reserved", "check" })
            Assert.Contains(column, columns);
        Assert.Contains("eph/full", table[header], StringComparison.Ordinal);

        var rows = table[(header + 1)..];
        Assert.Equal(["backward", "retain", "nograd"], rows.Select(r => Cells(r)[0]));
        Assert.All(rows, r => Assert.Equal("natural", Cells(r)[1]));
        Assert.All(rows, r => Assert.Equal("fused", Cells(r)[2]));
        Assert.All(rows, r => Assert.Equal("ok", Cells(r)[^1]));
        // Fused: x, y and x.Grad; x, y and the four gradients; x and y.
        Assert.Equal(["3.00", "6.00", "2.00"], rows.Select(r => Cells(r)[Array.IndexOf(columns, "peak/tensor")]));
        // The fill of x, then one kernel for y and one for each gradient kept.
        Assert.Equal(["3", "6", "2"], rows.Select(r => Cells(r)[Array.IndexOf(columns, "launches")]));
        // The loop compiles its expressions once, on its first iteration: none while timed.
        Assert.All(rows, r => Assert.Equal("0", Cells(r)[Array.IndexOf(columns, "compiled")]));
    }

    [Fact]
    public void AUTODIFF_FUSION_0_runs_one_kernel_per_function_with_step_18s_peaks()
    {
        var run = ExperimentsProgram.RunWith(new Dictionary<string, string> { ["AUTODIFF_FUSION"] = "0" }, [.. Small, "--format", "csv"]);

        run.AssertSucceeded();
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = CsvFields(lines[0]).ToList();
        var rows = lines[1..].Select(l => CsvFields(l).ToArray()).ToList();
        Assert.All(rows, r => Assert.Equal("eager", r[header.IndexOf("fusion")]));
        Assert.Equal(["6.0000", "8.0000", "4.0000"], rows.Select(r => r[header.IndexOf("peak_buffers")]));
        Assert.Equal(["8.00", "8.00", "4.00"], rows.Select(r => r[header.IndexOf("launches_per_iteration")]));
    }

    [Fact]
    public void Lifetimes_run_side_by_side_with_the_same_peaks_and_the_scoped_loop_reserves_only_its_peak()
    {
        var run = ExperimentsProgram.Run(
            [.. Small, "--lifetime", "natural,scoped,disposed", "--modes", "backward,nograd", "--fusion", "off", "--format", "json"]);

        run.AssertSucceeded();
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(64_000, root.GetProperty("elements").GetInt64());
        var rows = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(
            ["backward/natural", "backward/scoped", "backward/disposed", "nograd/natural", "nograd/scoped", "nograd/disposed"],
            rows.Select(r => $"{r.GetProperty("mode").GetString()}/{r.GetProperty("lifetime").GetString()}"));
        foreach (var row in rows)
        {
            string label = $"{row.GetProperty("mode").GetString()}/{row.GetProperty("lifetime").GetString()}";
            Assert.True(row.GetProperty("passed").GetBoolean(), label);
            Assert.Equal("ok", row.GetProperty("check").GetString());
            Assert.Equal("eager", row.GetProperty("fusion").GetString());
            Assert.Equal(row.GetProperty("mode").GetString() == "backward" ? 6.0 : 4.0, row.GetProperty("peakBuffers").GetDouble());
            Assert.Equal(row.GetProperty("mode").GetString() == "backward" ? 8.0 : 4.0, row.GetProperty("launchesPerIteration").GetDouble());
            double median = row.GetProperty("medianMicroseconds").GetDouble();
            double fastest = row.GetProperty("minMicroseconds").GetDouble();
            Assert.True(fastest > 0 && fastest <= median && fastest <= row.GetProperty("meanMicroseconds").GetDouble(), label);
            Assert.True(row.GetProperty("warmupIterations").GetInt32() >= 3, label);
            Assert.Equal(0, row.GetProperty("fullCollections").GetInt64());
            if (row.GetProperty("lifetime").GetString() == "scoped")
            {
                Assert.Equal(0, row.GetProperty("ephemeralCollections").GetInt64());
                // Its peak, carved from 2 MiB segments (the blocks here are small).
                long peak = row.GetProperty("peakAllocatedBytes").GetInt64();
                Assert.InRange(row.GetProperty("reservedBytes").GetInt64(), peak, peak + DeviceMemory.SegmentBytes);
            }
        }
    }

    [Fact]
    public void Ballast_and_garbage_budget_are_applied_and_reported_in_csv()
    {
        var run = ExperimentsProgram.Run([.. Small, "--modes", "nograd", "--ballast", "5MB", "--garbage-budget", "2MiB", "--format", "csv"]);

        run.AssertSucceeded();
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var row = CsvFields(lines[0]).Zip(CsvFields(lines[1])).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal("nograd", row["mode"]);
        Assert.Equal("natural", row["lifetime"]);
        Assert.Equal("40x40x40", row["shape"]);
        Assert.Equal("5000000", row["ballast_bytes"]);
        Assert.Equal("2097152", row["garbage_budget_bytes"]);
        Assert.Equal("fused", row["fusion"]);
        Assert.Equal("2.0000", row["peak_buffers"]);
        Assert.Equal("ok", row["check"]);
    }

    private static readonly string[] Columns = ["mode", "lifetime", "fusion"];

    [Fact]
    public void Rounds_give_every_row_its_reps_and_one_ratio_per_round_against_the_eager_scoped_row()
    {
        var run = ExperimentsProgram.Run(
            "--elements", "10000", "--reps", "5", "--rounds", "2", "--modes", "backward,nograd",
            "--lifetime", "natural,scoped", "--fusion", "on,off", "--format", "json", "--quiet");

        run.AssertSucceeded();
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(2, json.RootElement.GetProperty("rounds").GetInt32());
        var rows = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(8, rows.Count);
        foreach (var row in rows)
        {
            string label = string.Join('/', Columns.Select(c => row.GetProperty(c).GetString()));
            Assert.True(row.GetProperty("passed").GetBoolean(), label);
            Assert.Equal(5, row.GetProperty("timedIterations").GetInt32());
            Assert.Equal(2, row.GetProperty("roundMeanMicroseconds").GetArrayLength());
            var ratios = row.GetProperty("meanOverScopedPerRound").EnumerateArray().Select(r => r.GetDouble()).ToList();
            Assert.Equal(2, ratios.Count);
            Assert.All(ratios, r => Assert.True(r > 0, label));
            if (label.EndsWith("/scoped/eager", StringComparison.Ordinal))
                Assert.All(ratios, r => Assert.Equal(1.0, r));
        }
    }

    [Fact]
    public void Fewer_reps_than_rounds_time_one_iteration_per_round()
    {
        var run = ExperimentsProgram.Run(
            "--elements", "10000", "--reps", "1", "--rounds", "3", "--modes", "nograd", "--format", "csv", "--quiet");

        run.AssertSucceeded();
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var row = CsvFields(lines[0]).Zip(CsvFields(lines[1])).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal("1", row["reps"]);
        Assert.Equal("3", row["rounds"]);
        Assert.Equal("3", row["timed_iterations"]);
        // No scoped row: nothing to compare with.
        Assert.Equal(string.Empty, row["mean_over_scoped_per_round"]);
        Assert.Equal("ok", row["check"]);
    }

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "--rounds", "1" }, false)]
    public void The_table_shows_the_ratios_range_over_rounds_when_there_are_several(string[] rounds, bool shown)
    {
        var run = ExperimentsProgram.Run([.. Small, "--modes", "nograd", "--lifetime", "natural,scoped", .. rounds]);

        run.AssertSucceeded();
        var table = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int header = Array.FindIndex(table, line => line.StartsWith("mode ", StringComparison.Ordinal));
        string[] columns = Cells(table[header]);
        Assert.Contains("mean/scoped", columns);
        Assert.Equal(shown, columns.Contains("per round"));
        string[] scoped = Cells(table[header + 2]);
        Assert.Equal("scoped", scoped[1]);
        Assert.Equal("1.00", scoped[Array.IndexOf(columns, "mean/scoped")]);
        if (shown)
            Assert.Equal("1.00–1.00", scoped[Array.IndexOf(columns, "per round")]);
    }

    [Theory]
    [InlineData("unknown option", new[] { "--bogus" }, "--bogus")]
    [InlineData("not a number", new[] { "--size", "abc" }, "--size")]
    [InlineData("two shapes", new[] { "--size", "3", "--elements", "7" }, "--elements")]
    [InlineData("unknown device", new[] { "--device", "tpu" }, "tpu")]
    [InlineData("too large", new[] { "--size", "100000" }, "does not fit")]
    [InlineData("unknown mode", new[] { "--modes", "sideways" }, "sideways")]
    [InlineData("unknown lifetime", new[] { "--lifetime", "forever" }, "forever")]
    [InlineData("bad size", new[] { "--ballast", "lots" }, "--ballast")]
    [InlineData("no rounds", new[] { "--rounds", "0" }, "--rounds")]
    [InlineData("rounds not a number", new[] { "--rounds", "few" }, "--rounds")]
    [InlineData("option of another command", new[] { "devices", "--size", "3" }, "--size")]
    [InlineData("unknown command", new[] { "frobnicate" }, "frobnicate")]
    [InlineData("no epochs", new[] { "spiral", "--epochs", "0" }, "--epochs")]
    [InlineData("unknown element type", new[] { "spiral", "--dtype", "int8" }, "--dtype")]
    public void Bad_input_exits_2_with_one_error_line(string why, string[] args, string mentioned)
    {
        var run = ExperimentsProgram.Run(args);

        Assert.True(run.ExitCode == 2, $"{why}: exit {run.ExitCode}, stderr: {run.Error}");
        Assert.Equal(string.Empty, run.Output);
        string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(mentioned, lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tpu", "error: AUTODIFF_DEVICE=tpu: unknown device 'tpu'")]
    [InlineData("cpu:7", "error: AUTODIFF_DEVICE=cpu:7: no cpu:7 device is present")]
    [InlineData("cuda:-1", "error: AUTODIFF_DEVICE=cuda:-1: bad device 'cuda:-1': the index after ':' must be ≥ 0, not -1")]
    public void A_bad_device_in_the_environment_is_named_once(string value, string message)
    {
        var run = ExperimentsProgram.RunWith(new Dictionary<string, string> { [Device.EnvironmentVariable] = value });

        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}, stderr: {run.Error}");
        Assert.StartsWith(message, run.Error, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(run.Error, Device.EnvironmentVariable));
    }

    [Fact]
    public void Help_describes_the_lifetimes_the_warm_up_and_the_exit_status()
    {
        var run = ExperimentsProgram.Run("--help");

        run.AssertSucceeded();
        string[] expected =
        [
            "--lifetime", "--rounds", "--ballast", "--garbage-budget", "natural", "scoped", "disposed", "warm-up",
            "Exit status", "devices", "graph",
        ];
        foreach (string text in expected)
            Assert.Contains(text, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Devices_lists_what_is_present()
    {
        var run = ExperimentsProgram.Run("devices", "--format", "csv");

        run.AssertSucceeded();
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,kind,name,memory_bytes,matmul", lines[0]);
        Assert.Equal(Device.List().Select(d => d.Id), lines[1..].Select(l => l.Split(',')[0]));
        Assert.Contains(lines[1..], l => l.StartsWith("cpu:0,", StringComparison.Ordinal) && l.EndsWith(",Blocked", StringComparison.Ordinal));
    }

    [Fact]
    public void Seed_prints_the_seeds_first_example()
    {
        var run = ExperimentsProgram.Run("seed");

        run.AssertSucceeded();
        Assert.Equal(["None None", "2.0 1.0"], run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Graph_writes_the_expression_as_dot()
    {
        string folder = Directory.CreateTempSubdirectory("autodiff-graph-").FullName;
        try
        {
            string dot = Path.Combine(folder, "sub", "step18.dot");
            var run = ExperimentsProgram.Run("graph", "--out", dot, "--size", "2");

            run.AssertSucceeded();
            string text = File.ReadAllText(dot);
            Assert.StartsWith("digraph", text, StringComparison.Ordinal);
            Assert.Equal(3, text.Split("label=\"Square\"").Length - 1);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The fields of a CSV line; a quoted field may hold commas and doubled quotes.</summary>
    internal static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                field.Append(line[++i]);
            else if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
                field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    /// <summary>The cells of a table row: columns are separated by two spaces or more, never one.</summary>
    private static string[] Cells(string row) => Regex.Split(row.Trim(), " {2,}");
}

/// <summary>The experiments program as a child process.</summary>
internal static class ExperimentsProgram
{
    /// <summary>Overrides where the program is: its executable, or its .dll to run with the dotnet host.</summary>
    public const string EnvironmentVariable = "AUTODIFF_EXPERIMENTS";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Runs the program with <paramref name="args"/> and waits for it; a visible skip when it is absent.</summary>
    public static ProgramRun Run(params string[] args) => RunWith(new Dictionary<string, string>(), args);

    /// <summary>Runs the program with <paramref name="args"/> and the environment <paramref name="variables"/> set.</summary>
    public static ProgramRun RunWith(IReadOnlyDictionary<string, string> variables, params string[] args)
    {
        string program = Locate();
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        if (program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            start.FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
            start.ArgumentList.Add(program);
        }
        else
        {
            start.FileName = program;
        }
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in variables)
            start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not end within {Timeout.TotalSeconds:F0} s");
        }
        process.WaitForExit();
        return new ProgramRun(string.Join(' ', args), process.ExitCode, output.Result.ReplaceLineEndings("\n"), error.Result.ReplaceLineEndings("\n"));
    }

    /// <summary>The program named by <see cref="EnvironmentVariable"/>, else the one built with the tests.</summary>
    private static string Locate() =>
        BuiltProgram.Locate(EnvironmentVariable, "ExperimentsProgram", "the experiments program");

}

/// <summary>What a run of the program printed and returned.</summary>
internal sealed record ProgramRun(string Arguments, int ExitCode, string Output, string Error)
{
    /// <summary>Exit 0 and nothing on standard error (the runs are quiet).</summary>
    public void AssertSucceeded()
    {
        Assert.True(ExitCode == 0, $"'{Arguments}' exited {ExitCode}; stderr: {Error}");
        Assert.True(Error.Length == 0, $"'{Arguments}' wrote to stderr: {Error}");
    }
}
