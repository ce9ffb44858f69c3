namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// A managed heap like a real application's: many small live objects (64-byte arrays in a list, about 100 bytes
/// each with the array header and the list's slot), moved to the oldest generation. A full garbage collection
/// has to mark all of them, so it costs what it costs in an application; an ephemeral one does not.
/// Shared by the experiments program and the benchmarks.
/// </summary>
internal static class Ballast
{
    /// <summary>Bytes counted per object: a 64-byte array (88 bytes with its header) and its list slot, rounded as in issue 7's loop.</summary>
    public const int BytesPerObject = 100;

    /// <summary>Makes about <paramref name="bytes"/> of ballast (none for 0) and promotes it to the oldest generation.</summary>
    public static List<byte[]> Make(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long count = bytes / BytesPerObject;
        var objects = new List<byte[]>((int)Math.Min(count, Array.MaxLength));
        for (long i = 0; i < count; i++)
            objects.Add(new byte[64]);
        if (count > 0)
        {
            GC.Collect();
            GC.Collect();
        }
        return objects;
    }
}
