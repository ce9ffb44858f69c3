using System.Reflection;
using System.Runtime.Loader;

namespace AutoDiff.Gpu.Compare;

/// <summary>
/// One build of the cases and its engine, loaded in a context of its own: each resolves its dependencies (the
/// engine, ILGPU) from its own folder, so two builds of the same assemblies live side by side.
/// </summary>
internal sealed class Build : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver resolver;

    private Build(string path)
        : base(path) => resolver = new AssemblyDependencyResolver(path);

    /// <summary>The cases' <c>Run(name, count)</c> in the build at <paramref name="path"/>, its cases assembly.
    /// </summary>
    public static Func<string, int, double> Load(string path)
    {
        path = Path.GetFullPath(path);
        var assembly = new Build(path).LoadFromAssemblyPath(path);
        var run = assembly.GetType("AutoDiff.Gpu.Compare.CompareCases")?.GetMethod("Run")
            ?? throw new InvalidOperationException($"{path} has no AutoDiff.Gpu.Compare.CompareCases.Run");
        return run.CreateDelegate<Func<string, int, double>>();
    }

    protected override Assembly? Load(AssemblyName assemblyName) =>
        resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

    protected override nint LoadUnmanagedDll(string unmanagedDllName) =>
        resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : 0;
}
