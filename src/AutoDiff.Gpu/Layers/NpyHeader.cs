using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace AutoDiff.Gpu.Layers;

/// <summary>
/// The header of one NumPy <c>.npy</c> array (formats 1.0 to 3.0): element type, order and shape, parsed strictly as
/// the Python literal NumPy writes. Anything else (a negative or oversized dimension, <c>(6)</c> for <c>(6,)</c>, an
/// unknown key, a header over <see cref="MaxBytes"/>) is refused with an <see cref="InvalidDataException"/>.
/// </summary>
/// <param name="DType">The element type: little-endian float32 or float64.</param>
/// <param name="FortranOrder">True when the data is in column-major order.</param>
/// <param name="Shape">The array's shape.</param>
/// <param name="DataOffset">Bytes before the data: magic, version, length and header.</param>
internal readonly record struct NpyHeader(DType DType, bool FortranOrder, Shape Shape, int DataOffset)
{
    /// <summary>The longest header read (NumPy's own readers stop at 10,000 bytes by default).</summary>
    public const int MaxBytes = 65536;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Bytes of data after the header.</summary>
    public long DataBytes => Shape.Length * DType.Size();

    /// <summary>
    /// The header as NumPy writes it (format 1.0, padded with spaces and a newline to a multiple of 64 bytes).
    /// </summary>
    public static byte[] Write(DType dtype, Shape shape)
    {
        string dims = shape.Rank == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape.ToArray())})";
        string text = $"{{'descr': '<{(dtype == DType.Float32 ? "f4" : "f8")}', 'fortran_order': False, 'shape': {dims}, }}";
        int unpadded = Magic.Length + 2 + 2 + text.Length + 1;
        text = text.PadRight(text.Length + ((64 - (unpadded % 64)) % 64)) + "\n";
        var bytes = new byte[Magic.Length + 4 + text.Length];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), checked((ushort)text.Length));
        Encoding.ASCII.GetBytes(text, bytes.AsSpan(10));
        return bytes;
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="stream"/>; <paramref name="where"/> (file and entry) starts
    /// each error.
    /// </summary>
    public static NpyHeader Read(Stream stream, string where)
    {
        Span<byte> lead = stackalloc byte[12];
        Fill(stream, lead[..10], where, "its first 10 bytes");
        if (!lead[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{where} is not an .npy array (no NUMPY magic)");
        int major = lead[6];
        if (major is < 1 or > 3)
            throw new InvalidDataException($"{where}: .npy format {major}.{lead[7]} is not read (1.0 to 3.0 are)");
        long length;
        int start;
        if (major == 1)
        {
            (length, start) = (BinaryPrimitives.ReadUInt16LittleEndian(lead[8..]), 10);
        }
        else
        {
            Fill(stream, lead[10..12], where, "its header length");
            (length, start) = (BinaryPrimitives.ReadUInt32LittleEndian(lead[8..]), 12);
        }
        if (length > MaxBytes)
            throw new InvalidDataException($"{where}: a header of {length:N0} bytes, more than the {MaxBytes:N0} read");
        var header = new byte[length];
        Fill(stream, header, where, $"its {length:N0}-byte header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        return Parse(text, where) with { DataOffset = start + (int)length };
    }

    /// <summary>Parses the dictionary literal; every key NumPy writes, no other.</summary>
    private static NpyHeader Parse(string text, string where)
    {
        var reader = new Literal(text, where);
        string? descr = null;
        bool? fortran = null;
        int[]? dims = null;
        reader.Expect('{');
        while (!reader.TryTake('}'))
        {
            string key = reader.String();
            reader.Expect(':');
            switch (key)
            {
                case "descr" when descr is null:
                    descr = reader.String();
                    break;
                case "fortran_order" when fortran is null:
                    fortran = reader.Boolean();
                    break;
                case "shape" when dims is null:
                    dims = reader.Tuple();
                    break;
                default:
                    throw reader.Error($"the key '{key}' is unknown or repeated");
            }
            if (!reader.TryTake(','))
            {
                reader.Expect('}');
                break;
            }
        }
        reader.ExpectEnd();
        if (descr is null || fortran is null || dims is null)
            throw reader.Error("'descr', 'fortran_order' and 'shape' are all needed");
        var dtype = descr switch
        {
            "<f4" or "=f4" when BitConverter.IsLittleEndian => DType.Float32,
            "<f8" or "=f8" when BitConverter.IsLittleEndian => DType.Float64,
            _ => throw new InvalidDataException($"{where} holds '{descr}' elements: only little-endian float32 and float64 are read"),
        };
        Shape shape;
        try
        {
            shape = new Shape(dims);
        }
        catch (ArgumentException e)
        {
            throw reader.Error(e.Message);
        }
        if (shape.Length > long.MaxValue / dtype.Size())
            throw reader.Error($"{shape} {dtype.Name()} has more than 2^63 bytes");
        return new NpyHeader(dtype, fortran.Value, shape, 0);
    }

    private static void Fill(Stream stream, Span<byte> buffer, string where, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{where} ends within {what}", e);
        }
    }

    /// <summary>A cursor over the Python literal of a header; its errors quote the header.</summary>
    private ref struct Literal(string text, string where)
    {
        private int at;

        public InvalidDataException Error(string problem) =>
            new($"{where}: an .npy header this engine does not read ({problem}): {text.Trim()}");

        public void Expect(char c)
        {
            if (!TryTake(c))
                throw Error($"'{c}' expected at character {at}");
        }

        public bool TryTake(char c)
        {
            SkipSpaces();
            if (at < text.Length && text[at] == c)
            {
                at++;
                return true;
            }
            return false;
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (at != text.Length)
                throw Error($"text after the closing brace at character {at}");
        }

        /// <summary>A string in single or double quotes, without escapes.</summary>
        public string String()
        {
            SkipSpaces();
            char quote = at < text.Length ? text[at] : '\0';
            if (quote is not ('\'' or '"'))
                throw Error($"a quoted string expected at character {at}");
            int end = text.IndexOf(quote, at + 1);
            if (end < 0 || text.IndexOf('\\', at + 1, end - at - 1) >= 0)
                throw Error($"an unterminated or escaped string at character {at}");
            string value = text[(at + 1)..end];
            at = end + 1;
            return value;
        }

        public bool Boolean()
        {
            SkipSpaces();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
            {
                if (string.CompareOrdinal(text, at, word, 0, word.Length) == 0)
                {
                    at += word.Length;
                    return value;
                }
            }
            throw Error($"True or False expected at character {at}");
        }

        /// <summary>
        /// A tuple of dimensions: <c>()</c>, <c>(6,)</c>, <c>(2, 3)</c>; each a decimal integer from 0 to 2^31 − 1.
        /// </summary>
        public int[] Tuple()
        {
            Expect('(');
            var dims = new List<int>();
            bool comma = false;
            while (!TryTake(')'))
            {
                SkipSpaces();
                int start = at;
                while (at < text.Length && char.IsAsciiDigit(text[at]))
                    at++;
                if (at == start || at - start > 10 || !int.TryParse(text.AsSpan(start, at - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                    throw Error($"a dimension from 0 to {int.MaxValue} expected at character {start}");
                dims.Add(d);
                comma = TryTake(',');
                if (!comma)
                {
                    Expect(')');
                    break;
                }
            }
            if (dims.Count == 1 && !comma)
                throw Error("a one-dimensional shape is written (n,): (n) is a number, not a tuple");
            return [.. dims];
        }

        private void SkipSpaces()
        {
            while (at < text.Length && text[at] is ' ' or '\t' or '\n' or '\r')
                at++;
        }
    }
}
