using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace AutoDiff.Gpu.Layers;

/// <summary>
/// The safetensors format (what PyTorch and Hugging Face load): an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data. Writes are atomic (see
/// <see cref="AtomicFile"/>). Reads are bounded: the header (at most <see cref="MaxHeaderBytes"/>) is parsed and
/// every entry checked (known dtype, shape, byte range inside the file and of the size the shape needs, no overlap,
/// no hole, no name twice) before any data is read, and only the entries asked for are read.
/// </summary>
internal static class SafeTensors
{
    /// <summary>The longest header read (the format's own limit, 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>The element types read and written, with their sizes in bytes.</summary>
    private static readonly Dictionary<string, int> Sizes =
        new(StringComparer.Ordinal) { ["F32"] = 4, ["F64"] = 8, ["I32"] = 4 };

    /// <summary>
    /// One tensor of a file: its name, dtype (<c>F32</c>, <c>F64</c>, <c>I32</c>), shape and little-endian bytes.
    /// </summary>
    public sealed record Entry(string Name, string DType, int[] Shape, byte[] Data);

    /// <summary>Where one tensor's data lies in a file read.</summary>
    public sealed record Header(string Name, string DType, Shape Shape, long Begin, long End);

    /// <summary>The dtype name of a tensor's element type.</summary>
    public static string NameOf(DType dtype) => dtype == DType.Float32 ? "F32" : "F64";

    /// <summary>A tensor's entry: its data read back from the device.</summary>
    public static Entry Of(string name, Tensor tensor)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("saving tensors needs a little-endian host");
        byte[] data = tensor.DType == DType.Float32
            ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.ToArray<float>().AsSpan()).ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.ToArray<double>().AsSpan()).ToArray();
        return new Entry(name, NameOf(tensor.DType), tensor.Shape.ToArray(), data);
    }

    /// <summary>
    /// Writes <paramref name="entries"/> (in order) and <paramref name="metadata"/> to <paramref name="path"/>,
    /// replacing it atomically.
    /// </summary>
    public static void Write(
        string path, IReadOnlyList<Entry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType);
                json.WriteStartArray("shape");
                foreach (int d in e.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + e.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += e.Data.Length;
            }
            json.WriteEndObject();
        }
        // Spaces pad the header to a multiple of 8 bytes, so that the data is aligned, as the Python library does.
        while (header.Length % 8 != 0)
            header.WriteByte((byte)' ');
        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            file.Write(length);
            header.WriteTo(file);
            foreach (var e in entries)
                file.Write(e.Data);
        });
    }

    /// <summary>A file opened for reading: its checked headers and metadata; data is read on request.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly FileStream file;
        private readonly long dataStart;

        /// <summary>Opens <paramref name="path"/> and checks its header.</summary>
        /// <exception cref="InvalidDataException">
        /// The header is malformed or an entry does not fit; the message names the file and the entry.
        /// </exception>
        public Reader(string path)
        {
            Path = path;
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            try
            {
                Span<byte> lead = stackalloc byte[8];
                if (file.Length < 8)
                    throw new InvalidDataException($"{path} is not a safetensors file: {file.Length} bytes, fewer than the 8 of its header length");
                file.ReadExactly(lead);
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lead);
                if (length > (ulong)Math.Min(MaxHeaderBytes, file.Length - 8))
                    throw new InvalidDataException($"{path}: a header of {length:N0} bytes, more than the file's {file.Length - 8:N0} or the {MaxHeaderBytes:N0} read");
                var header = new byte[length];
                file.ReadExactly(header);
                dataStart = 8 + (long)length;
                (Entries, Metadata) = Parse(header, file.Length - dataStart);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>The file's path.</summary>
        public string Path { get; }

        /// <summary>The entries, by name.</summary>
        public IReadOnlyDictionary<string, Header> Entries { get; }

        /// <summary>The string pairs of the header's <c>__metadata__</c> (empty without one).</summary>
        public IReadOnlyDictionary<string, string> Metadata { get; }

        /// <summary>
        /// The entry <paramref name="name"/>, checked to be of <paramref name="shape"/> and one of <paramref
        /// name="dtypes"/>.
        /// </summary>
        /// <exception cref="InvalidDataException">The entry is missing or of another dtype or shape.</exception>
        public Header Find(string name, Shape shape, params string[] dtypes)
        {
            if (!Entries.TryGetValue(name, out var h))
                throw new InvalidDataException($"{Path} has no tensor '{name}' (it has {string.Join(", ", Entries.Keys.Order(StringComparer.Ordinal))})");
            if (!dtypes.Contains(h.DType, StringComparer.Ordinal))
                throw new InvalidDataException($"{Path}, tensor '{name}': {h.DType} elements, not {string.Join(" or ", dtypes)}");
            if (!h.Shape.Equals(shape))
                throw new InvalidDataException($"{Path}: '{name}' is {h.Shape}, the parameter {shape}");
            return h;
        }

        /// <summary>The raw bytes of an entry.</summary>
        public byte[] Read(Header header)
        {
            ArgumentNullException.ThrowIfNull(header);
            if (header.End - header.Begin > Array.MaxLength)
                throw new InvalidDataException($"{Path}, tensor '{header.Name}': {header.End - header.Begin:N0} bytes, more than a host array holds");
            var data = new byte[header.End - header.Begin];
            file.Position = dataStart + header.Begin;
            file.ReadExactly(data);
            return data;
        }

        /// <summary>An F32 or F64 entry as float64 values (exact for both).</summary>
        public double[] ReadValues(Header header)
        {
            var data = Read(header);
            var values = new double[header.Shape.Length];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = header.DType == "F32"
                    ? BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(i * 4))
                    : BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(i * 8));
            }
            return values;
        }

        /// <inheritdoc/>
        public void Dispose() => file.Dispose();

        private (Dictionary<string, Header>, Dictionary<string, string>) Parse(byte[] header, long dataBytes)
        {
            var entries = new Dictionary<string, Header>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 4 });
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{Path}: the header is not JSON: {e.Message}", e);
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{Path}: the header is not a JSON object");
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                        throw new InvalidDataException($"{Path} names '{property.Name}' twice in its header: which one is meant is unknown");
                    if (property.Name == MetadataKey)
                        ReadMetadata(property.Value, metadata);
                    else
                        entries.Add(property.Name, Entry(property.Name, property.Value, dataBytes));
                }
            }
            // The data must be covered exactly: no overlap, no hole, nothing after the last tensor.
            long next = 0;
            foreach (var e in entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (e.Begin != next)
                    throw new InvalidDataException($"{Path}, tensor '{e.Name}': its bytes start at {e.Begin:N0}, not at {next:N0} where the previous one ends (a hole or an overlap)");
                next = e.End;
            }
            if (next != dataBytes)
                throw new InvalidDataException($"{Path}: the tensors cover {next:N0} bytes of the {dataBytes:N0} after the header");
            return (entries, metadata);
        }

        private void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
        {
            if (value.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{Path}: {MetadataKey} is not an object of strings");
            foreach (var pair in value.EnumerateObject())
            {
                if (pair.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(pair.Name, pair.Value.GetString()!))
                    throw new InvalidDataException($"{Path}: {MetadataKey} '{pair.Name}' is not a string, or is named twice");
            }
        }

        private Header Entry(string name, JsonElement value, long dataBytes)
        {
            string where = $"{Path}, tensor '{name}'";
            if (value.ValueKind != JsonValueKind.Object
                || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
                || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
                || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array
                || offsets.GetArrayLength() != 2)
            {
                throw new InvalidDataException($"{where}: an entry needs a dtype string, a shape array and two data_offsets");
            }
            string type = dtype.GetString()!;
            if (!Sizes.TryGetValue(type, out int size))
                throw new InvalidDataException($"{where} holds {type} elements: only F32, F64 and I32 are read");
            var dims = new List<int>();
            foreach (var d in shape.EnumerateArray())
            {
                if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int n) || n < 0)
                    throw new InvalidDataException($"{where}: the shape holds {d.GetRawText()}, not a dimension from 0 to {int.MaxValue}");
                dims.Add(n);
            }
            Shape s;
            try
            {
                s = new Shape([.. dims]);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{where}: {e.Message}", e);
            }
            var range = offsets.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out long v) && v >= 0 ? v : -1).ToArray();
            long begin = range[0], end = range[1];
            if (begin < 0 || end < begin || end > dataBytes)
                throw new InvalidDataException($"{where}: data_offsets {offsets.GetRawText()} are not a range within the {dataBytes:N0} bytes of data");
            if (s.Length > long.MaxValue / size || end - begin != s.Length * size)
                throw new InvalidDataException($"{where}: {end - begin:N0} bytes for {s} {type}, which needs {(double)s.Length * size:N0}");
            return new Header(name, type, s, begin, end);
        }
    }
}
