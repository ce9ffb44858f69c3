using System.Diagnostics;
using System.Text;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Runs one test of this program alone in a new process, so that a case that could crash the process fails
/// one test instead of ending the run. The child runs the same test method with <see cref="Variable"/> set,
/// and the method then runs its case in process.
/// </summary>
internal static class ChildProcess
{
    /// <summary>Set in the child's environment.</summary>
    public const string Variable = "AUTODIFF_TEST_CHILD";

    /// <summary>True inside the child: run the case itself.</summary>
    public static bool IsChild => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>
    /// Runs test method <paramref name="method"/> of <paramref name="testClass"/> in a child process and fails
    /// unless exactly that one test ran and passed within <paramref name="timeout"/>.
    /// </summary>
    public static void AssertPasses(Type testClass, string method, TimeSpan timeout)
    {
        string assembly = testClass.Assembly.Location;
        string appHost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        var start = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { ArgumentList = { assembly } };
        foreach (string arg in new[] { "-method", $"{testClass.FullName}.{method}", "-parallel", "none", "-noColor" })
            start.ArgumentList.Add(arg);
        start.Environment[Variable] = "1";
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;

        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = new StringBuilder();
        child.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        child.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        if (!child.WaitForExit(timeout))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            Assert.Fail($"{method} did not finish in {timeout.TotalSeconds:F0} s in a child process (a hang):\n{Text(output)}");
        }
        child.WaitForExit();
        string text = Text(output);
        Assert.True(child.ExitCode == 0, $"{method} failed in a child process (exit code {child.ExitCode}):\n{text}");
        Assert.Contains("Total: 1, Errors: 0, Failed: 0, Skipped: 0", text, StringComparison.Ordinal);
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
            return output.ToString();
    }
}
