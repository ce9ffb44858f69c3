using System.Globalization;

namespace AutoDiff.Gpu;

// Device identifiers: cuda:0, opencl:1, cpu:0, and the names the environment variable takes.
public sealed partial class Device
{
    /// <summary>
    /// Parses <c>cpu</c>, <c>cuda:1</c>, <c>opencl</c>, <c>best</c> (any case; index 0 when none is given); kind is null
    /// for <c>best</c>. Aliases: <c>gpu</c> for <c>cuda</c>, <c>cl</c> for <c>opencl</c>, <c>auto</c> for <c>best</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The text names no device kind, or its index is not a number ≥ 0.</exception>
    public static (DeviceKind? Kind, int Index) ParseId(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!TryParseId(spec, out var kind, out int index, out string? error))
            throw new ArgumentException(error, nameof(spec));
        return (kind, index);
    }

    internal static string FormatId(DeviceKind kind, int index) => $"{kind.ToString().ToLowerInvariant()}:{index}";

    private static bool TryParseId(string spec, out DeviceKind? kind, out int index, out string? error)
    {
        string text = spec.Trim().ToLowerInvariant();
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? text : text[..colon];
        index = 0;
        kind = null;
        error = null;
        if (colon >= 0 && !int.TryParse(text[(colon + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out index))
        {
            error = $"bad device '{spec}': the index after ':' must be a number, e.g. cuda:0";
            return false;
        }
        if (index < 0)
        {
            error = $"bad device '{spec}': the index after ':' must be ≥ 0, not {index}";
            index = 0;
            return false;
        }
        switch (name)
        {
            case "cpu":
                kind = DeviceKind.Cpu;
                return true;
            case "cuda" or "gpu":
                kind = DeviceKind.Cuda;
                return true;
            case "opencl" or "cl":
                kind = DeviceKind.OpenCL;
                return true;
            case "best" or "auto":
                return true;
            default:
                error = $"unknown device '{spec}': use cpu, cuda, opencl or best, optionally with :index";
                return false;
        }
    }
}
