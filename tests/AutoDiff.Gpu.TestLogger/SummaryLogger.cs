using System.Globalization;
using Microsoft.VisualStudio.TestPlatform.ObjectModel;
using Microsoft.VisualStudio.TestPlatform.ObjectModel.Client;

namespace AutoDiff.Gpu.TestLogger;

/// <summary>
/// A test logger that prints each failed test in full (name, message, stack trace, output) as it ends, and at the end
/// of the run each skip reason once with the number of tests it skipped (one line per absent accelerator), instead of
/// a line per skipped test. VSTest's console logger at quiet verbosity adds its one-line summary.
/// </summary>
[FriendlyName(Name)]
[ExtensionUri("logger://AutoDiff.Gpu/summary")]
public sealed class SummaryLogger : ITestLogger
{
    /// <summary>The name that selects this logger: <c>dotnet test --logger summary</c>.</summary>
    public const string Name = "summary";

    private readonly Dictionary<string, int> skipReasons = [];
    private readonly List<string> order = [];

    /// <inheritdoc/>
    public void Initialize(TestLoggerEvents events, string testRunDirectory)
    {
        ArgumentNullException.ThrowIfNull(events);
        events.TestResult += (_, e) => Record(e.Result);
        events.TestRunComplete += (_, _) => Summarize();
    }

    private void Record(TestResult result)
    {
        lock (skipReasons)
        {
            if (result.Outcome == TestOutcome.Skipped)
            {
                string reason = string.IsNullOrEmpty(result.ErrorMessage) ? "no reason given" : result.ErrorMessage;
                if (skipReasons.TryGetValue(reason, out int count))
                    skipReasons[reason] = count + 1;
                else
                {
                    skipReasons[reason] = 1;
                    order.Add(reason);
                }
            }
            else if (result.Outcome == TestOutcome.Failed)
                Console.Out.Write(Describe(result));
        }
    }

    private void Summarize()
    {
        lock (skipReasons)
        {
            foreach (var reason in order)
            {
                string count = skipReasons[reason].ToString(CultureInfo.InvariantCulture);
                Console.Out.WriteLine($"  tests skipped ({count}): {reason}");
            }
        }
    }

    /// <summary>A failure as VSTest's console logger prints it at its normal verbosity.</summary>
    private static string Describe(TestResult result)
    {
        var text = new System.Text.StringBuilder();
        var ms = (long)result.Duration.TotalMilliseconds;
        text.AppendLine(CultureInfo.InvariantCulture, $"  Failed {result.TestCase.FullyQualifiedName} [{ms} ms]");
        if (result.TestCase.DisplayName != result.TestCase.FullyQualifiedName)
            text.AppendLine(CultureInfo.InvariantCulture, $"  Case: {result.TestCase.DisplayName}");
        if (!string.IsNullOrEmpty(result.ErrorMessage))
            text.AppendLine("  Error Message:").AppendLine(Indent(result.ErrorMessage));
        if (!string.IsNullOrEmpty(result.ErrorStackTrace))
            text.AppendLine("  Stack Trace:").AppendLine(Indent(result.ErrorStackTrace));
        foreach (var message in result.Messages)
        {
            if (!string.IsNullOrWhiteSpace(message.Text))
                text.AppendLine(CultureInfo.InvariantCulture, $"  {message.Category}:").AppendLine(Indent(message.Text));
        }
        return text.ToString();
    }

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.TrimEnd().Split('\n').Select(line => "   " + line.TrimEnd('\r')));
}
