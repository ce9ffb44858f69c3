namespace AutoDiff.Gpu;

/// <summary>
/// Writes a file whole or not at all: into a temporary file beside the target, flushed to disk, then moved over the
/// target. After any failure the previous file is intact and the temporary one is gone.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/>, which gets the temporary file's stream.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string target = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"{path} names no file", nameof(path));
        string temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // The original failure matters more than a temporary file left behind.
            }
            catch (UnauthorizedAccessException)
            {
                // As above.
            }
            throw;
        }
    }
}
