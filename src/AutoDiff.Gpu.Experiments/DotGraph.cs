using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The computational graph behind a variable as Graphviz DOT, as DeZero's <c>get_dot_graph</c>: variables are
/// orange ellipses labelled with their name and shape and element type, functions light blue boxes, edges run
/// from inputs to functions and from functions to their outputs.
/// </summary>
internal static class DotGraph
{
    /// <summary>Walks from <paramref name="output"/> through creators and inputs and returns the DOT text.</summary>
    public static string Build(Variable output, bool verbose = true)
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

    /// <summary>The <c>dot</c> program on PATH, or null.</summary>
    public static string? FindDot()
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

    /// <summary>Runs <c>dot -Tsvg</c>; returns null on success, or why it failed.</summary>
    public static string? RenderSvg(string dot, string dotFile, string svgFile)
    {
        var start = new ProcessStartInfo(dot)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-Tsvg");
        start.ArgumentList.Add(dotFile);
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(svgFile);
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

    private static string Quote(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
