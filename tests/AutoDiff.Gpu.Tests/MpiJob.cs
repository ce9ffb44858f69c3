using System.Diagnostics;
using System.Text;
using AutoDiff.Gpu.Distributed;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Runs tests/AutoDiff.Gpu.Distributed.Runner as a job of several ranks: <c>mpiexec -n N dotnet Runner.dll
/// SCENARIO...</c>, within a time limit. A visible skip where <c>mpiexec</c> is not installed.
/// </summary>
internal static class MpiJob
{
    /// <summary>Overrides where the runner is: its executable, or its .dll to run with the dotnet host.</summary>
    public const string RunnerVariable = "AUTODIFF_DISTRIBUTED_RUNNER";

    /// <summary>
    /// Runs <paramref name="scenarios"/> on <paramref name="ranks"/> ranks on the CPU accelerator (plus
    /// <paramref name="environment"/>); kills the job and fails after <paramref name="limit"/>, which is a hang.
    /// </summary>
    public static JobRun Run(
        int ranks, TimeSpan limit, IReadOnlyDictionary<string, string>? environment, params string[] scenarios)
    {
        string mpiexec = Launcher();
        string runner = Runner();
        var start = new ProcessStartInfo(mpiexec)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (runner.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            start.ArgumentList.Add(string.IsNullOrEmpty(host) ? "dotnet" : host);
        }
        start.ArgumentList.Add(runner);
        foreach (string scenario in scenarios)
            start.ArgumentList.Add(scenario);
        start.Environment[Device.EnvironmentVariable] = "cpu";
        start.Environment.Remove(Collectives.BackendVariable);
        start.Environment.Remove(MpiBackend.SharedMemoryVariable);

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var job = Process.Start(start) ?? throw new InvalidOperationException($"could not start {mpiexec}");
        var output = job.StandardOutput.ReadToEndAsync();
        var error = job.StandardError.ReadToEndAsync();
        string command = $"mpiexec -n {ranks} {Path.GetFileName(runner)} {string.Join(' ', scenarios)}";
        if (!job.WaitForExit(limit))
        {
            job.Kill(entireProcessTree: true);
            job.WaitForExit();
            string printed = output.Result + error.Result;
            Assert.Fail($"{command} did not end within {limit.TotalSeconds:F0} s (a hang):\n{printed}");

        }
        job.WaitForExit();
        return new JobRun(command, job.ExitCode, (output.Result + error.Result).ReplaceLineEndings("\n"));
    }

    /// <summary>mpiexec on the PATH, or a visible skip.</summary>
    private static string Launcher()
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, "mpiexec");
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Skip("mpiexec is not on PATH: install MPICH (apt-get install mpich) to run the multi-rank tests");
        return "";
    }

    /// <summary>The runner named by <see cref="RunnerVariable"/>, else the one built with the tests.</summary>
    private static string Runner() =>
        BuiltProgram.Locate(RunnerVariable, "DistributedRunner", "the distributed runner");
}

/// <summary>What a job printed (standard output, then standard error) and how it ended.</summary>
internal sealed record JobRun(string Command, int ExitCode, string Output)
{
    /// <summary>The lines of rank <paramref name="rank"/> that report <paramref name="scenario"/> as passed.</summary>
    public IEnumerable<string> Passed(string scenario, int rank) =>
        Output.Split('\n').Where(l => l.StartsWith($"rank {rank}/", StringComparison.Ordinal)
            && l.Contains($": {scenario} ok (", StringComparison.Ordinal));

    /// <summary>Fails unless the job exited 0 and every rank reported every scenario as passed.</summary>
    public void AssertPassed(int ranks, params string[] scenarios)
    {
        Assert.True(ExitCode == 0, $"'{Command}' exited {ExitCode}:\n{Output}");
        for (int rank = 0; rank < ranks; rank++)
        {
            foreach (string scenario in scenarios)
            {
                bool passed = Passed(scenario, rank).Any();
                Assert.True(passed, $"'{Command}': rank {rank} did not report {scenario} as passed:\n{Output}");
            }

        }
    }

    /// <summary>
    /// Fails unless the job ended with an error (never 0); a hang fails in <see cref="MpiJob.Run"/>.
    /// </summary>
    public void AssertFailed()
    {
        Assert.True(ExitCode != 0, $"'{Command}' exited 0; it should have failed:\n{Output}");
    }
}
