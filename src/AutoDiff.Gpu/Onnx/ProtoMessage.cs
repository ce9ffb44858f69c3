using System.Buffers.Binary;
using System.Text;

namespace AutoDiff.Gpu;

/// <summary>
/// A protocol-buffers message in the making, for the wire format: fields in the order added, nested messages kept as
/// objects, so that each size is counted once and every byte goes straight to the stream (no message is copied into
/// its parent). Only the field kinds ONNX files need: varints, 32-bit floats, length-delimited bytes, packed varints.
/// </summary>
internal sealed class ProtoMessage
{
    /// <summary>Protocol buffers' limit for one message: 2 GiB less one byte.</summary>
    public const long MaxSize = int.MaxValue;

    private const int VarintWire = 0, LengthWire = 2, Fixed32Wire = 5;

    private readonly List<(int Number, object Value)> fields = [];

    /// <summary>Adds an integer field (int32, int64 or an enum): a varint, negative values as ten bytes.</summary>
    public ProtoMessage Int(int number, long value) => Add(number, value);

    /// <summary>Adds a 32-bit float field.</summary>
    public ProtoMessage Float(int number, float value) => Add(number, value);

    /// <summary>Adds a string field, UTF-8.</summary>
    public ProtoMessage String(int number, string value) => Add(number, Encoding.UTF8.GetBytes(value));

    /// <summary>Adds a bytes field.</summary>
    public ProtoMessage Bytes(int number, byte[] value) => Add(number, value);

    /// <summary>Adds a repeated integer field, packed.</summary>
    public ProtoMessage Ints(int number, IEnumerable<long> values) => Add(number, values.ToArray());

    /// <summary>Adds a message field.</summary>
    public ProtoMessage Message(int number, ProtoMessage value) => Add(number, value);

    /// <summary>Adds one message field per element: a repeated message field.</summary>
    public ProtoMessage Messages(int number, IEnumerable<ProtoMessage> values)
    {
        foreach (var value in values)
            Add(number, value);
        return this;
    }

    /// <summary>Writes the message to <paramref name="stream"/> (a buffered one: bytes go one at a time).</summary>
    /// <exception cref="InvalidOperationException">The message is over protocol buffers' limit (2 GiB).</exception>
    public void WriteTo(Stream stream)
    {
        var sizes = new Dictionary<ProtoMessage, long>(ReferenceEqualityComparer.Instance);
        long size = SizeOf(this, sizes);
        if (size > MaxSize)
            throw new InvalidOperationException($"{size:N0} bytes: protocol buffers allow at most {MaxSize:N0}");
        Write(stream, sizes);
    }

    private ProtoMessage Add(int number, object value)
    {
        fields.Add((number, value));
        return this;
    }

    private static long SizeOf(ProtoMessage message, Dictionary<ProtoMessage, long> sizes)
    {
        long size = 0;
        foreach (var (number, value) in message.fields)
            size += VarintSize((ulong)number << 3) + ContentSize(value, sizes);
        sizes[message] = size;
        return size;
    }

    /// <summary>The bytes of a field after its tag: for a length-delimited one, a length and the content.</summary>
    private static long ContentSize(object value, Dictionary<ProtoMessage, long> sizes) => value switch
    {
        long v => VarintSize((ulong)v),
        float => 4,
        byte[] bytes => Delimited(bytes.Length),
        long[] values => Delimited(values.Sum(v => VarintSize((ulong)v))),
        ProtoMessage message => Delimited(SizeOf(message, sizes)),
        _ => throw new InvalidOperationException($"a protocol-buffers field cannot hold a {value.GetType().Name}"),
    };

    private static long Delimited(long length) => VarintSize((ulong)length) + length;

    private static int VarintSize(ulong value)
    {
        int size = 1;
        for (; value >= 0x80; value >>= 7)
            size++;
        return size;
    }

    private void Write(Stream stream, Dictionary<ProtoMessage, long> sizes)
    {
        Span<byte> scratch = stackalloc byte[4];
        foreach (var (number, value) in fields)
        {
            int wire = value switch { long => VarintWire, float => Fixed32Wire, _ => LengthWire };
            WriteVarint(stream, ((ulong)number << 3) | (uint)wire);
            switch (value)
            {
                case long v:
                    WriteVarint(stream, (ulong)v);
                    break;
                case float f:
                    BinaryPrimitives.WriteSingleLittleEndian(scratch, f);
                    stream.Write(scratch);
                    break;
                case byte[] bytes:
                    WriteVarint(stream, (ulong)bytes.Length);
                    stream.Write(bytes);
                    break;
                case long[] values:
                    WriteVarint(stream, (ulong)values.Sum(v => VarintSize((ulong)v)));
                    foreach (long v in values)
                        WriteVarint(stream, (ulong)v);
                    break;
                case ProtoMessage message:
                    WriteVarint(stream, (ulong)sizes[message]);
                    message.Write(stream, sizes);
                    break;
            }
        }
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        for (; value >= 0x80; value >>= 7)
            stream.WriteByte((byte)(value | 0x80));
        stream.WriteByte((byte)value);
    }
}
