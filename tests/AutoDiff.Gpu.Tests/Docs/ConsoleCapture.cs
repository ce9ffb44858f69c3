namespace AutoDiff.Gpu.Tests.Docs;

[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture
{
    private static readonly char[] LineBreaks = ['\r', '\n'];

    /// <summary>
    /// Runs <paramref name="action"/> with standard output captured, in <paramref name="directory"/> when given (files
    /// it writes land there); returns the non-empty lines it printed. Tests that use it run alone.
    /// </summary>
    public static string[] Lines(Action action, string? directory = null)
    {
        var output = new StringWriter();
        var (previous, current) = (Console.Out, Environment.CurrentDirectory);
        Console.SetOut(output);
        try
        {
            if (directory is not null)
                Environment.CurrentDirectory = directory;
            action();
        }
        finally
        {
            Console.SetOut(previous);
            Environment.CurrentDirectory = current;
        }
        return output.ToString().Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Trim().Length > 0).ToArray();
    }
}
