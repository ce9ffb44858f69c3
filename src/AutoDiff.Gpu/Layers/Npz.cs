using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace AutoDiff.Gpu.Layers;

/// <summary>
/// NumPy's <c>.npz</c> archives (a zip of <c>.npy</c> files): what <c>np.savez_compressed</c> writes and <c>np.load</c>
/// reads, so weights move between this engine, DeZero and NumPy. Little-endian float32 and float64 arrays.
/// </summary>
/// <remarks>
/// Writes are atomic (see <see cref="AtomicFile"/>). Reads are bounded by what is asked for: every wanted entry's
/// header is parsed (at most <see cref="NpyHeader.MaxBytes"/>) and checked against the wanted shape, and its size
/// declared in the zip against the header, before any data is inflated; only wanted entries are inflated, each to
/// at most its expected size plus one byte. Entries named twice are refused, whether wanted or not.
/// </remarks>
internal static class Npz
{
    /// <summary>
    /// One array read from an archive: its shape and its elements in C order as float64 (exact for both element types).
    /// </summary>
    public readonly record struct Array(Shape Shape, DType DType, double[] Values);

    /// <summary>
    /// Writes the tensors as <c>name.npy</c> entries of a deflated zip at <paramref name="path"/>, replacing it
    /// atomically.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> arrays)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("saving weights needs a little-endian host");
        AtomicFile.Write(path, file =>
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, tensor) in arrays)
            {
                using var stream = zip.CreateEntry(name + ".npy", CompressionLevel.Optimal).Open();
                stream.Write(NpyHeader.Write(tensor.DType, tensor.Shape));
                if (tensor.DType == DType.Float32)
                    stream.Write(MemoryMarshal.AsBytes(tensor.ToArray<float>().AsSpan()));
                else
                    stream.Write(MemoryMarshal.AsBytes(tensor.ToArray<double>().AsSpan()));
            }
        });
    }

    /// <summary>
    /// The arrays named in <paramref name="wanted"/> (without <c>.npy</c>), each checked to have the shape given with
    /// it.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file is not a zip, an entry is named twice, a wanted array is missing, has another shape, or is not an .npy
    /// array this engine reads; the message names the file, the entry and why.
    /// </exception>
    public static Dictionary<string, Array> Read(string path, IReadOnlyList<(string Name, Shape Shape)> wanted)
    {
        using var zip = Open(path);
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith(".npy", StringComparison.Ordinal) && !entries.TryAdd(entry.FullName[..^4], entry))
                throw new InvalidDataException($"{path} holds the entry '{entry.FullName}' twice: which one is meant is unknown");
        }
        var headers = new List<(string Name, ZipArchiveEntry Entry, NpyHeader Header)>();
        foreach (var (name, shape) in wanted)
        {
            if (!entries.TryGetValue(name, out var entry))
                throw new InvalidDataException($"{path} has no array '{name}' (it has {string.Join(", ", entries.Keys.Order(StringComparer.Ordinal))})");
            string where = $"{path}, entry '{entry.FullName}'";
            var header = Guarded(where, () =>
            {
                using var stream = entry.Open();
                return NpyHeader.Read(stream, where);
            });
            if (!header.Shape.Equals(shape))
                throw new InvalidDataException($"{path}: '{name}' is {header.Shape}, the parameter {shape}");
            if (entry.Length != header.DataOffset + header.DataBytes)
                throw new InvalidDataException($"{where}: the zip declares {entry.Length:N0} bytes, the header {header.DataOffset:N0} and {header.DataBytes:N0} of data for {header.Shape} {header.DType.Name()}");
            if (header.DataBytes > System.Array.MaxLength)
                throw new InvalidDataException($"{where}: {header.DataBytes:N0} bytes of data, more than a host array holds");
            headers.Add((name, entry, header));
        }
        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var (name, entry, header) in headers)
        {
            string where = $"{path}, entry '{entry.FullName}'";
            result[name] = new Array(header.Shape, header.DType, Guarded(where, () => ReadData(entry, header, where)));
        }
        return result;
    }

    private static ZipArchive Open(string path)
    {
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path} is not a zip archive (.npz): {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/>; an error of the zip layer (a bad deflate stream or checksum) names the file and
    /// entry.
    /// </summary>
    private static T Guarded<T>(string where, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(where, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{where}: {e.Message}", e);
        }
    }

    /// <summary>The elements after the header, exactly as many as the header says, in C order.</summary>
    private static double[] ReadData(ZipArchiveEntry entry, NpyHeader header, string where)
    {
        using var stream = entry.Open();
        stream.ReadExactly(new byte[header.DataOffset]);
        var data = new byte[header.DataBytes];
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
            throw new InvalidDataException($"{where} ends after {read:N0} of {data.Length:N0} bytes of data");
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"{where} holds more data than {header.Shape} {header.DType.Name()}");
        var values = new double[header.Shape.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = header.DType == DType.Float32
                ? BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(i * 4))
                : BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(i * 8));
        }
        return header.FortranOrder ? FromFortranOrder(values, header.Shape) : values;
    }

    /// <summary>The elements of a column-major array in row-major order.</summary>
    private static double[] FromFortranOrder(double[] values, Shape shape)
    {
        int rank = shape.Rank;
        if (rank < 2)
            return values;
        var strides = new long[rank];
        strides[0] = 1;
        for (int k = 1; k < rank; k++)
            strides[k] = strides[k - 1] * shape[k - 1];
        var result = new double[values.Length];
        var index = new int[rank];
        long source = 0;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = values[source];
            // The next row-major index: the last axis turns fastest.
            for (int k = rank - 1; k >= 0; k--)
            {
                source += strides[k];
                if (++index[k] < shape[k])
                    break;
                source -= strides[k] * shape[k];
                index[k] = 0;
            }
        }
        return result;
    }
}
