using System.CommandLine;

namespace AutoDiff.Gpu.Experiments;

/// <summary>The options the distributed commands share.</summary>
internal static class RankOptions
{
    /// <summary>An option of one whole number from 1 to <paramref name="max"/>.</summary>
    public static Option<int> Count(string name, string description, int max = int.MaxValue) =>
        CommandLine.Value(name, "N", t => (int)Options.ParseCount(name, t, 1, max), description);

    /// <summary><c>--dtype</c>, float32 unless given.</summary>
    public static Option<DType> DTypeOption() =>
        CommandLine.Value("--dtype", "T", Options.ParseDType, "float32 (default) or float64.");

    /// <summary><c>--device</c>: every rank's device.</summary>
    public static Option<string> DeviceOption() =>
        CommandLine.Value(
            "--device", "D", Options.ParseDevice, "Every rank's device; default: the local rank's GPU, else the best.");
}
