using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace AutoDiff.Gpu.Layers;

/// <summary>
/// NumPy's <c>.npz</c> archives (a zip of <c>.npy</c> files, format 1.0): what <c>np.savez_compressed</c> writes and
/// <c>np.load</c> reads, so weights move between this engine, DeZero and NumPy. Little-endian float32 and float64 arrays
/// in C order.
/// </summary>
internal static partial class Npz
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>One array read from an archive: its shape and its elements as float64 (exact for both element types).</summary>
    public readonly record struct Array(Shape Shape, DType DType, double[] Values);

    /// <summary>Writes the tensors as <c>name.npy</c> entries of a deflated zip at <paramref name="path"/> (replacing it).</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> arrays)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        foreach (var (name, tensor) in arrays)
        {
            var entry = zip.CreateEntry(name + ".npy", CompressionLevel.Optimal);
            using var stream = entry.Open();
            WriteNpy(stream, tensor);
        }
    }

    /// <summary>Every array of the archive at <paramref name="path"/>, by name (without <c>.npy</c>).</summary>
    /// <exception cref="InvalidDataException">An entry is not an .npy array this engine reads; the message names it and why.</exception>
    public static Dictionary<string, Array> Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                continue;
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            string name = entry.FullName[..^4];
            result[name] = ReadNpy(name, buffer.ToArray());
        }
        return result;
    }

    private static void WriteNpy(Stream stream, Tensor tensor)
    {
        string shape = tensor.Rank switch
        {
            0 => "()",
            1 => $"({tensor.Shape[0]},)",
            _ => $"({string.Join(", ", tensor.Shape.ToArray())})",
        };
        string header = $"{{'descr': '<{(tensor.DType == DType.Float32 ? "f4" : "f8")}', 'fortran_order': False, 'shape': {shape}, }}";
        // Magic, version, length, header: padded with spaces and a newline to a multiple of 64 bytes, as NumPy writes it.
        int unpadded = Magic.Length + 2 + 2 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (unpadded % 64)) % 64)) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        byte[] data = tensor.DType == DType.Float32
            ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.ToArray<float>().AsSpan()).ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.ToArray<double>().AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("saving weights needs a little-endian host");
        stream.Write(data);
    }

    private static Array ReadNpy(string name, byte[] bytes)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"'{name}' is not an .npy array (no NUMPY magic)");
        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        if (major is < 1 or > 3 || start + headerLength > bytes.Length)
            throw new InvalidDataException($"'{name}': .npy format {major} or its header is not readable");
        string header = Encoding.ASCII.GetString(bytes, start, headerLength);
        var descr = Descr().Match(header);
        var fortran = Fortran().Match(header);
        var shapeText = ShapeText().Match(header);
        if (!descr.Success || !fortran.Success || !shapeText.Success)
            throw new InvalidDataException($"'{name}': an .npy header this engine does not read: {header.Trim()}");
        if (fortran.Groups[1].Value == "True")
            throw new InvalidDataException($"'{name}' is in Fortran order: save it in C order (np.ascontiguousarray)");
        var dtype = descr.Groups[1].Value switch
        {
            "<f4" or "=f4" => DType.Float32,
            "<f8" or "=f8" => DType.Float64,
            var other => throw new InvalidDataException($"'{name}' holds '{other}' elements: only little-endian float32 and float64 are read"),
        };
        var dims = shapeText.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        var shape = new Shape(dims);
        var data = bytes.AsSpan(start + headerLength);
        int size = dtype.Size();
        if (data.Length != shape.Length * size)
            throw new InvalidDataException($"'{name}': {data.Length} bytes of data for shape {shape} {dtype.Name()} ({shape.Length * size} expected)");
        var values = new double[shape.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = dtype == DType.Float32
                ? BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..])
                : BinaryPrimitives.ReadDoubleLittleEndian(data[(i * 8)..]);
        }
        return new Array(shape, dtype, values);
    }

    [GeneratedRegex(@"'descr':\s*'([^']*)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order':\s*(True|False)")]
    private static partial Regex Fortran();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeText();
}
