using System.Text.RegularExpressions;

namespace AutoDiff.Gpu.Tests.Docs;

/// <summary>
/// A <c>```csharp</c> block of a Markdown file: its file, the line of its opening fence, its code, and whether it is a
/// fragment (<c>```csharp fragment</c>: statements that run after the usual usings and a <c>device</c>).
/// </summary>
public sealed partial record DocBlock(string File, int Line, string Code, bool Fragment)
{
    /// <summary>
    /// What the block promises to print, in order: the comment of each <c>Console.WriteLine(…); // text</c> line (the
    /// rule of scripts/package-check.sh). A text ending in … is a prefix.
    /// </summary>
    public IReadOnlyList<string> Expected =>
        Code.Split('\n').Select(line => PromiseRegex().Match(line)).Where(m => m.Success)
            .Select(m => m.Groups[1].Value.TrimEnd()).ToList();

    /// <summary>Whether <paramref name="printed"/> is what <see cref="Expected"/> promises, line for line.</summary>
    public bool Keeps(IReadOnlyList<string> printed)
    {
        var expected = Expected;
        return printed.Count == expected.Count && expected.Zip(printed).All(p => p.First.EndsWith('…')
            ? p.Second.StartsWith(p.First[..^1], StringComparison.Ordinal)
            : p.Second == p.First);
    }

    public override string ToString() => $"{File}:{Line}";

    [GeneratedRegex(@"^.*Console\.WriteLine\(.*\);\s*//\s?(.*)$")]
    private static partial Regex PromiseRegex();
}

/// <summary>The C# blocks of README.md and docs/*.md, read from the copies the build puts beside the tests.</summary>
public static class DocBlocks
{
    /// <summary>The folder of the Markdown files (README.md and the files of docs/).</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Markdown");

    /// <summary>The Markdown files, README.md first.</summary>
    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(Folder, "*.md", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Folder, f).Replace('\\', '/'))
            .OrderBy(f => f == "README.md" ? "" : f, StringComparer.Ordinal);

    /// <summary>Every C# block of <paramref name="file"/> (relative to <see cref="Folder"/>).</summary>
    public static IEnumerable<DocBlock> Of(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Folder, file));
        for (int i = 0; i < lines.Length; i++)
        {
            string fence = lines[i].Trim();
            if (!fence.StartsWith("```csharp", StringComparison.Ordinal))
                continue;
            int start = i;
            var code = new List<string>();
            while (++i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
                code.Add(lines[i]);
            bool fragment = fence.Contains("fragment", StringComparison.Ordinal);
            yield return new DocBlock(file, start + 1, string.Join('\n', code), fragment);
        }
    }

    /// <summary>The block of <paramref name="file"/> that opens at <paramref name="line"/>.</summary>
    public static DocBlock Find(string file, int line) =>
        Of(file).SingleOrDefault(b => b.Line == line)
        ?? throw new InvalidOperationException($"{file}: no csharp block at line {line}");
}
