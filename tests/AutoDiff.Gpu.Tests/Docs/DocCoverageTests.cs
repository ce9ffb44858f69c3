using System.Reflection;
using System.Text.RegularExpressions;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;

namespace AutoDiff.Gpu.Tests.Docs;

/// <summary>
/// The guides name every public function, layer, optimizer, hook and data type, so that one added to the engine
/// cannot go undocumented: the failure lists what is missing and where it belongs.
/// </summary>
public sealed class DocCoverageTests
{
    [Fact]
    public void The_functions_guide_names_every_function_of_F()
    {
        var names = typeof(F).GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name);

        AssertNamed("docs/functions.md", names);
    }

    [Fact]
    public void The_layers_guide_names_every_layer_optimizer_hook_and_data_type()
    {
        var engine = typeof(Layer).Assembly.GetExportedTypes();
        var names = engine
            .Where(t => !t.IsAbstract && (t.IsSubclassOf(typeof(Layer)) || t.IsSubclassOf(typeof(Optimizer))
                || typeof(IOptimizerHook).IsAssignableFrom(t)))
            .Concat(engine.Where(t => t.Namespace == "AutoDiff.Gpu.Data"
                && !t.Name.EndsWith("State", StringComparison.Ordinal)))
            .Select(t => t.Name);

        AssertNamed("docs/layers-and-training.md", names);
    }

    private static void AssertNamed(string file, IEnumerable<string> names)
    {
        string text = File.ReadAllText(Path.Combine(DocBlocks.Folder, file));
        var missing = names.Distinct().Order(StringComparer.Ordinal)
            .Where(n => !Regex.IsMatch(text, $@"\b{n}\b"))
            .ToList();
        Assert.True(missing.Count == 0, $"{file} does not name {string.Join(", ", missing)}: add each in its place");
    }
}
