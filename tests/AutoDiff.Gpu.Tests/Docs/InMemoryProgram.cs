using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AutoDiff.Gpu.Tests.Docs;

/// <summary>
/// A doc block compiled in memory as a console program of a user's project (<c>dotnet new console</c>: implicit
/// usings, nullable on) against the assemblies loaded here, the engine's among them.
/// </summary>
internal static class InMemoryProgram
{
    /// <summary>What <c>dotnet new console</c> imports implicitly.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>What a fragment (<c>```csharp fragment</c>) runs after.</summary>
    private const string FragmentPrelude = """
        using AutoDiff.Gpu;
        using AutoDiff.Gpu.Data;
        using AutoDiff.Gpu.Layers;
        using AutoDiff.Gpu.Optimizers;
        using static AutoDiff.Gpu.F;

        using var device = Device.Best();
        """;

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    /// <summary>The block's program, or a failure listing each error and warning at its Markdown line.</summary>
    public static Assembly Compile(DocBlock block)
    {
        string code = $"#line {block.Line + 1} \"{block.File}\"\n{block.Code}\n";
        if (block.Fragment)
            code = $"{FragmentPrelude}\n{code}";
        var compilation = CSharpCompilation.Create(
            $"DocBlock_{Path.GetFileNameWithoutExtension(block.File)}_{block.Line}",
            [
                CSharpSyntaxTree.ParseText(code, Parse, path: block.File),
                CSharpSyntaxTree.ParseText(ImplicitUsings, Parse),
            ],
            References.Value,
            new CSharpCompilationOptions(
                OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(result.Success && problems.Count == 0,
            $"{block} does not compile cleanly:\n{string.Join('\n', problems.Select(d => d.ToString()))}");
        image.Position = 0;
        return new AssemblyLoadContext(compilation.AssemblyName, isCollectible: true).LoadFromStream(image);
    }

    /// <summary>Runs the program's entry point; an exception it throws is rethrown as it was.</summary>
    public static void Run(Assembly program)
    {
        var main = program.EntryPoint!;
        try
        {
            main.Invoke(null, main.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
        }
    }
}
