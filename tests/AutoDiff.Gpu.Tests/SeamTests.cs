namespace AutoDiff.Gpu.Tests;

/// <summary>The engine's one door into the kernels, and how short the path through it is.</summary>
public sealed class SeamTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    [Fact]
    public void An_elementwise_function_reaches_its_operator_in_at_most_11_frames()
    {
        // Counted in the tests' own build, where nothing is inlined: each frame is a call in the source.
        using var x = new Variable(fixture.Require().Ones(new Shape(4), DType.Float32));
        FrameProbeOperator.Seen = null;
        using (Config.NoFusion())
            Probe(x).Dispose();
        var frames = FrameProbeOperator.Seen!.GetFrames();
        int probe = Array.FindIndex(frames, f => f.GetMethod()?.Name == nameof(Probe));
        var path = string.Join(" <- ", frames.Take(probe + 1).Select(Name));
        Assert.True(probe >= 0 && probe + 1 <= 11, $"{probe + 1} frames: {path}");
    }

    [Fact]
    public void Only_the_launch_layer_and_the_device_name_the_kernel_library_or_the_launch_lock()
    {
        var engine = Path.Combine(SourceRoot(), "src", "AutoDiff.Gpu");
        var sources = Sources(engine);
        Assert.Contains(Path.Combine("Launch", "Launch.cs"), sources);
        var others = sources
            .Where(f => !f.StartsWith("Launch", StringComparison.Ordinal) && f != Path.Combine("Runtime", "Device.cs"))
            .Where(f => File.ReadAllText(Path.Combine(engine, f)) is var text
                && (text.Contains("KernelLibrary", StringComparison.Ordinal)
                    || text.Contains("EnterLaunch", StringComparison.Ordinal)))
            .ToList();
        Assert.True(others.Count == 0, $"outside Launch/: {string.Join(", ", others)}");
    }

    [Fact]
    public void Only_the_backend_choice_names_the_chunked_layout()
    {
        var kernels = Path.Combine(SourceRoot(), "kernels", "AutoDiff.Gpu.Kernels");
        var naming = Sources(kernels)
            .Where(f => File.ReadLines(Path.Combine(kernels, f))
                .Any(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)
                    && line.Contains("KernelStyle.Chunked", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToList();
        // In code, not comments: LaunchPlan resolves the style; the library's constructor picks the backend from it.
        Assert.Equal(["KernelLibrary.cs", "LaunchPlan.cs"], naming);
    }

    private static string Name(System.Diagnostics.StackFrame f) =>
        $"{f.GetMethod()?.DeclaringType?.Name}.{f.GetMethod()?.Name}";

    /// <summary>The C# sources of <paramref name="project"/>, relative to it, obj/ left out.</summary>
    private static List<string> Sources(string project) =>
        Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(project, f))
            .Where(f => !f.StartsWith("obj", StringComparison.Ordinal))
            .ToList();

    // As F.Exp: the helper that users call.
    private static Variable Probe(Variable x) => new FrameProbe().Call(x)[0];

    /// <summary>The repository's root (the folder of AutoDiff.Gpu.sln) above the test binaries.</summary>
    private static string SourceRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "AutoDiff.Gpu.sln")))
                return d.FullName;
        }
        Assert.Skip("the sources are not above the test binaries (AutoDiff.Gpu.sln not found)");
        return string.Empty;
    }
}
