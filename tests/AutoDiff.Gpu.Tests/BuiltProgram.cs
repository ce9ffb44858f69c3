using System.Reflection;

namespace AutoDiff.Gpu.Tests;

/// <summary>A program built with the tests (not referenced as an assembly), found where the build recorded
/// it.</summary>
internal static class BuiltProgram
{
    /// <summary>
    /// The path in <paramref name="variable"/> when it is set, else the one the build recorded under
    /// <paramref name="key"/>; a visible skip naming <paramref name="what"/> when neither is there.
    /// </summary>
    public static string Locate(string variable, string key, string what)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } given)
        {
            Assert.True(File.Exists(given), $"{variable}={given}: no such file");
            return given;
        }
        string? built = typeof(BuiltProgram).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value;
        if (string.IsNullOrEmpty(built) || !File.Exists(built))
        {
            string where = built ?? "(no path recorded)";
            Assert.Skip($"{what} is not at {where}, where the build put it; set {variable} to its executable");
        }

        return built!;
    }
}
