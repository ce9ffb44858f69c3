using System.Runtime.InteropServices;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// Finds a native library as the engine finds cuBLAS: the absolute path in an environment variable first, then
/// versioned and unversioned names in the loader's search path, then known folders.
/// </summary>
internal static class NativeLibraries
{
    /// <summary>
    /// Loads the first of <paramref name="names"/> that loads, after the path in <paramref name="variable"/>
    /// when it is set; the error lists every name tried.
    /// </summary>
    /// <exception cref="DllNotFoundException">None loads: the message names them, the variable and <paramref
    /// name="install"/>.</exception>
    public static IntPtr Load(string what, string variable, IEnumerable<string> names, string install)
    {
        var tried = new List<string>();
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
        {
            tried.Add($"{variable}={configured}");
            if (NativeLibrary.TryLoad(configured.Trim(), out var handle))
                return handle;
        }
        foreach (string name in names)
        {
            tried.Add(name);
            if (NativeLibrary.TryLoad(name, out var handle))
                return handle;
        }
        throw new DllNotFoundException(
            $"{what} is not installed or not found (tried {string.Join(", ", tried)}): {install}, or set {variable} " +
            "to the library's path");
    }

    /// <summary>The address of <paramref name="symbol"/>; a clear error names the library when it lacks it.</summary>
    public static IntPtr Export(IntPtr library, string what, string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out var address)
            ? address
            : throw new EntryPointNotFoundException($"{what} has no {symbol}: the library is too old or not {what}");

    /// <summary>
    /// Files named <paramref name="relative"/> under the Python package folders present (site-packages and
    /// dist-packages of the system, the user, a virtual or conda environment), where pip puts NVIDIA's libraries.
    /// </summary>
    public static IEnumerable<string> InPythonPackages(string relative)
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var prefixes = new List<string> { "/usr/local/lib", "/usr/lib", Path.Combine(home, ".local/lib") };
        foreach (string variable in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } prefix)
                prefixes.Insert(0, Path.Combine(prefix, "lib"));
        }
        prefixes.Add("/opt/conda/lib");
        foreach (string prefix in prefixes.Where(Directory.Exists))
        {
            foreach (string python in Directory.EnumerateDirectories(prefix, "python3*").Order(StringComparer.Ordinal))
            {
                foreach (string packages in new[] { "site-packages", "dist-packages" })
                {
                    string file = Path.Combine(python, packages, relative);
                    if (File.Exists(file))
                        yield return file;
                }
            }
        }
    }
}
