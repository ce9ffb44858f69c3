using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace AutoDiff.Gpu;

/// <summary>
/// The computational graph behind a variable as Graphviz DOT (DeZero's <c>get_dot_graph</c> and
/// <c>plot_dot_graph</c>): variables are orange ellipses labelled with their name (and, verbose, their shape and
/// element type), functions light blue boxes, edges run from inputs to functions and from functions to their
/// outputs. Only what backprop recorded is there: a variable made under <see cref="Config.NoGrad"/> is alone.
/// </summary>
public static class DotGraph
{
    /// <summary>
    /// The DOT text of the graph behind <paramref name="output"/> (DeZero's <c>get_dot_graph</c>), walked through
    /// creators and inputs; with <paramref name="verbose"/>, each variable's label adds its shape and element type.
    /// </summary>
    public static string ToDot(Variable output, bool verbose = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        var ids = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        int Id(object node)
        {
            if (!ids.TryGetValue(node, out int id))
                ids[node] = id = ids.Count + 1;
            return id;
        }

        var text = new StringBuilder();
        text.Append("digraph g {\n");
        var drawn = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        void AddVariable(Variable v)
        {
            if (!drawn.Add(v))
                return;
            string label = v.Name ?? string.Empty;
            if (verbose)
                label = (label.Length > 0 ? label + ": " : string.Empty) + $"{v.Shape} {v.DType.Name()}";
            text.Append($"{Id(v)} [label=\"{Quote(label)}\", color=orange, style=filled]\n");
        }

        var pending = new List<Function>();
        var seen = new HashSet<Function>(ReferenceEqualityComparer.Instance);
        void AddFunction(Function? f)
        {
            if (f is not null && seen.Add(f))
            {
                pending.Add(f);
                pending.Sort((a, b) => a.Generation.CompareTo(b.Generation));
            }
        }

        AddVariable(output);
        AddFunction(output.Creator);
        while (pending.Count > 0)
        {
            var f = pending[^1];
            pending.RemoveAt(pending.Count - 1);
            text.Append($"{Id(f)} [label=\"{Quote(f.Name)}\", color=lightblue, style=filled, shape=box]\n");
            foreach (var x in f.Inputs)
            {
                AddVariable(x);
                text.Append($"{Id(x)} -> {Id(f)}\n");
                AddFunction(x.Creator);
            }
            foreach (var weak in f.Outputs)
            {
                if (weak.TryGetTarget(out var y))
                {
                    AddVariable(y);
                    text.Append($"{Id(f)} -> {Id(y)}\n");
                }
            }
        }
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>
    /// Writes the graph behind <paramref name="output"/> to <paramref name="path"/> (DeZero's <c>plot_dot_graph</c>):
    /// the DOT text itself for a <c>.dot</c> path; else the DOT text beside it (the same name, <c>.dot</c>), drawn
    /// by Graphviz's <c>dot</c> in the format the extension names (<c>.svg</c>, <c>.png</c>, <c>.pdf</c>, …).
    /// </summary>
    /// <exception cref="ArgumentException">The path has no extension to name the format.</exception>
    /// <exception cref="InvalidOperationException">Graphviz is not on PATH, or it failed (the DOT file is written).</exception>
    public static void Plot(Variable output, string path, bool verbose = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        string format = FormatOf(path);
        string text = ToDot(output, verbose);
        if (format.Equals("dot", StringComparison.OrdinalIgnoreCase))
        {
            File.WriteAllText(path, text);
            return;
        }
        string dotFile = Path.ChangeExtension(path, ".dot");
        File.WriteAllText(dotFile, text);
        Render(dotFile, path);
    }

    /// <summary>
    /// Draws the DOT file <paramref name="dotFile"/> into <paramref name="outputFile"/> with Graphviz's <c>dot</c>, in
    /// the format its extension names.
    /// </summary>
    /// <exception cref="InvalidOperationException">Graphviz is not on PATH, or it failed; the message says why.</exception>
    public static void Render(string dotFile, string outputFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(dotFile);
        string format = FormatOf(outputFile);
        string dot = FindGraphviz() ?? throw new InvalidOperationException(
            $"Graphviz's dot is not on PATH: install Graphviz, or render {dotFile} elsewhere (dot -T{format} {dotFile} -o {outputFile})");
        if (RenderWith(dot, format, dotFile, outputFile) is { } problem)
            throw new InvalidOperationException($"rendering {dotFile} failed: {problem}");
    }

    /// <summary>Graphviz's <c>dot</c> program on PATH, or null when it is not installed.</summary>
    public static string? FindGraphviz()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
            return null;
        string[] names = OperatingSystem.IsWindows() ? ["dot.exe"] : ["dot"];
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in names)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs <c>dot -T<paramref name="format"/></c>; returns null on success, or why it failed.</summary>
    private static string? RenderWith(string dot, string format, string dotFile, string outputFile)
    {
        var start = new ProcessStartInfo(dot)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-T" + format);
        start.ArgumentList.Add(dotFile);
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(outputFile);
        try
        {
            using var process = Process.Start(start);
            if (process is null)
                return $"could not start {dot}";
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill();
                return $"{dot} took more than a minute";
            }
            string message = stderr.Result.Trim().ReplaceLineEndings(" ");
            return process.ExitCode == 0 ? null : $"{dot} exited with {process.ExitCode}: {message}";
        }
        catch (Win32Exception e)
        {
            return $"could not run {dot}: {e.Message}";
        }
    }

    /// <summary>The format a file's extension names: <c>svg</c> for <c>graph.svg</c>.</summary>
    private static string FormatOf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string format = Path.GetExtension(path).TrimStart('.');
        return format.Length > 0
            ? format
            : throw new ArgumentException($"{path}: the extension names the format (.dot, .svg, .png, .pdf)", nameof(path));
    }

    private static string Quote(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
