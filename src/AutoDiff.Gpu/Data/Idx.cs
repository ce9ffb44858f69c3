using System.Buffers.Binary;
using System.IO.Compression;

namespace AutoDiff.Gpu.Data;

/// <summary>
/// Reads the IDX files of MNIST and its kin: a header of two zero bytes, the type code 0x08 (unsigned bytes), the
/// number of dimensions, each dimension as a big-endian int32, then the bytes row-major. A name ending in
/// <c>.gz</c> is read through gzip. Memory grows only as data arrives, so a header that claims more than the file
/// holds costs nothing; every error names the file and what is wrong.
/// </summary>
internal static class Idx
{
    /// <summary>
    /// The dimensions and bytes of the IDX file at <paramref name="path"/>, which must have <paramref name="rank"/>
    /// dimensions.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not such an IDX file, is truncated or has bytes after its
    /// data.</exception>
    public static (int[] Dims, byte[] Data) Read(string path, int rank)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionMode.Decompress)
            : file;
        try
        {
            return Read(path, stream, rank);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not a gzip file ({e.Message})", e);
        }
    }

    private static (int[] Dims, byte[] Data) Read(string path, Stream stream, int rank)
    {
        var magic = new byte[4];
        int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw new InvalidDataException(
                $"{path}: the file ends after {got} bytes, inside its 4-byte IDX magic number");
        if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] != rank)
            throw new InvalidDataException(
                $"{path}: not an IDX file of unsigned bytes with {rank} dimension{(rank == 1 ? string.Empty : "s")}: " +
                $"its magic number is 0x{Convert.ToHexString(magic)}, not 0x000008{rank:X2}");
        var header = new byte[4 * rank];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
            throw new InvalidDataException(
                $"{path}: the file ends inside its header, after {4 + got} of {4 + header.Length} bytes");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i));
            if (dims[i] < 0)
                throw new InvalidDataException($"{path}: dimension {i} of its header is negative ({dims[i]})");
            count *= dims[i];
            if (count > Array.MaxLength)
                throw new InvalidDataException(
                    $"{path}: its header claims dimensions ({string.Join(", ", dims[..(i + 1)])}, …) of more " +
                    $"than {Array.MaxLength:N0} bytes");
        }
        var data = ReadData(path, stream, (int)count);
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException(
                $"{path}: there are bytes after the {count:N0} its header ({string.Join(", ", dims)}) announces");
        return (dims, data);
    }

    /// <summary>Exactly <paramref name="count"/> bytes, the buffer doubling as data arrives.</summary>
    private static byte[] ReadData(string path, Stream stream, int count)
    {
        var data = new byte[Math.Min(count, 1 << 16)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == data.Length)
                Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            int read = stream.Read(data, filled, data.Length - filled);
            if (read == 0)
                throw new InvalidDataException(
                    $"{path}: the file is truncated: {filled:N0} of the {count:N0} data bytes its header announces");
            filled += read;
        }
        return data;
    }
}
