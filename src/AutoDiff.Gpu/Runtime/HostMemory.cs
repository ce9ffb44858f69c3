using System.Globalization;
using System.Runtime.InteropServices;

namespace AutoDiff.Gpu;

/// <summary>
/// How much more host memory the CPU accelerator's pool may take: what the system (and the process's memory
/// control group, where it has a limit) can still give, less what is kept free for everything else.
/// </summary>
/// <param name="AvailableBytes">Memory the kernel can hand out now without swapping or killing (Linux's <c>MemAvailable</c>, or less under a control group's limit).</param>
/// <param name="KeptFreeBytes">What the pool leaves to the rest of the process and the system: 1/32 of the memory, between 64 and 512 MiB.</param>
/// <param name="Source">Where <see cref="AvailableBytes"/> was read, for messages.</param>
internal readonly record struct HostHeadroom(long AvailableBytes, long KeptFreeBytes, string Source)
{
    /// <summary>Bytes the pool may still reserve (negative when it is already past its share).</summary>
    public long Bytes => AvailableBytes - KeptFreeBytes;

    /// <summary>Why a reservation of <paramref name="bytes"/> is refused.</summary>
    public string Refusal(long bytes) =>
        $"host memory: reserving {bytes:N0} more bytes would leave less than the {KeptFreeBytes:N0} bytes kept free "
        + $"({AvailableBytes:N0} available, {Source})";
}

/// <summary>
/// One CPU pool's view of host memory: whether a reservation of some bytes fits, asking the probe only when the
/// last answer is older than <paramref name="maxAge"/> (default: one second) or what the pool took since would pass
/// half of it (reading <c>/proc</c> costs tens to hundreds of microseconds; a pool reserves often while it fills up).
/// </summary>
internal sealed class HostAllowance(Func<HostHeadroom?> probe, TimeSpan? maxAge = null)
{
    private readonly TimeSpan maxAge = maxAge ?? TimeSpan.FromSeconds(1);

    private Func<HostHeadroom?> probe = probe;
    private HostHeadroom? last;
    private long askedAt;
    private long takenSince;

    /// <summary>The question asked (<see cref="HostMemory.Probe"/> unless a test replaced it); replacing it forgets the last answer.</summary>
    public Func<HostHeadroom?> Probe
    {
        get => probe;
        set
        {
            probe = value;
            last = null;
        }
    }

    /// <summary>Counts <paramref name="bytes"/> as taken, or throws <see cref="InsufficientMemoryException"/> naming the host's figures when they do not fit.</summary>
    public void Take(long bytes)
    {
        bool trusted = last is { } known && takenSince + bytes <= known.Bytes / 2
            && System.Diagnostics.Stopwatch.GetElapsedTime(askedAt) < maxAge;
        if (!trusted)
        {
            last = probe();
            askedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            takenSince = 0;
            if (last is { } room && bytes > room.Bytes)
                throw new InsufficientMemoryException(room.Refusal(bytes));
        }
        takenSince += bytes;
    }
}

/// <summary>
/// Host memory as the CPU accelerator sees it. On Linux, memory is overcommitted: an allocation succeeds and the
/// process is killed later, when it first writes pages the system does not have. So the pool asks first
/// (<see cref="Probe"/>), and writes every page of what it took at once (<see cref="Touch"/>), so that the next
/// question sees it and a failure is an exception at allocation, never a kill in the middle of a kernel.
/// </summary>
internal static partial class HostMemory
{
    /// <summary>Least memory kept free for the rest of the process and the system.</summary>
    public const long MinKeptFree = 64L << 20;

    /// <summary>Most memory kept free for the rest of the process and the system.</summary>
    public const long MaxKeptFree = 512L << 20;

    private static bool populateWorks = true;

    /// <summary>Check and reservation of host memory as one step, across every CPU device's pool.</summary>
    public static Lock Gate { get; } = new();

    /// <summary>What may still be reserved, or null where it is unknown (not Linux, or no <c>/proc/meminfo</c>).</summary>
    public static HostHeadroom? Probe()
    {
        if (!OperatingSystem.IsLinux() || ReadFile("/proc/meminfo") is not { } meminfo)
            return null;
        if (MemInfo(meminfo, "MemAvailable") is not { } available || MemInfo(meminfo, "MemTotal") is not { } total)
            return null;
        string source = "/proc/meminfo MemAvailable";
        if (ControlGroup() is { } group && group.Available < available)
        {
            available = group.Available;
            total = Math.Min(total, group.Limit);
            source = group.Source;
        }
        return new HostHeadroom(available, KeptFree(total), source);
    }

    /// <summary>What is kept free on a host (or control group) of <paramref name="totalBytes"/>.</summary>
    public static long KeptFree(long totalBytes) => Math.Clamp(totalBytes / 32, MinKeptFree, MaxKeptFree);

    /// <summary>
    /// Has the system back every page of [<paramref name="address"/>, +<paramref name="bytes"/>) now: Linux's
    /// <c>MADV_POPULATE_WRITE</c> (kernel 5.14 and later) where it works, else a write to every page; large ranges
    /// in 64 MiB pieces on several threads, as a first kernel would fault them. False when the system refused
    /// (the range is then partly backed, and the caller frees it). <paramref name="populate"/> false writes the pages
    /// without asking the kernel (what older kernels get).
    /// </summary>
    public static bool Touch(nint address, long bytes, bool populate = true)
    {
        const long Piece = 64L << 20;
        if (bytes < 2 * Piece)
            return Back(address, bytes, populate);
        long pieces = (bytes + Piece - 1) / Piece;
        int refused = 0;
        Parallel.For(0, pieces, i =>
        {
            long offset = i * Piece;
            if (!Back(address + (nint)offset, Math.Min(Piece, bytes - offset), populate))
                Interlocked.Exchange(ref refused, 1);
        });
        return refused == 0;
    }

    /// <summary>Size of a transparent huge page on x86-64 and most arm64 Linux kernels: 2 MiB.</summary>
    public const long HugePageBytes = 2L << 20;

    /// <summary>
    /// Asks Linux to back the whole 2 MiB pages inside [<paramref name="address"/>, +<paramref name="bytes"/>) with
    /// transparent huge pages (<c>MADV_HUGEPAGE</c>), as the default <c>madvise</c> mode requires. A kernel that
    /// streams a large tensor then walks a five-hundredth of the page-table entries. Call it before the pages are
    /// backed. False where nothing was advised: a range without a whole huge page, another system, or a refusal.
    /// </summary>
    public static bool AdviseHugePages(nint address, long bytes)
    {
        long first = ((long)address + HugePageBytes - 1) & -HugePageBytes;
        long end = ((long)address + bytes) & -HugePageBytes;
        if (!OperatingSystem.IsLinux() || end <= first)
            return false;
        return Native.Madvise((nint)first, (nuint)(end - first), Native.HugePage) == 0;
    }

    private static bool Back(nint address, long bytes, bool populate)
    {
        if (bytes <= 0)
            return true;
        long page = Environment.SystemPageSize;
        long first = ((long)address + page - 1) & -page, end = ((long)address + bytes) & -page;
        if (populate && OperatingSystem.IsLinux() && Volatile.Read(ref populateWorks) && end > first)
        {
            if (Native.Madvise((nint)first, (nuint)(end - first), Native.PopulateWrite) == 0)
            {
                // The pages the range only partly covers, at either end.
                Marshal.WriteByte(address, 0);
                Marshal.WriteByte(address + (nint)(bytes - 1), 0);
                return true;
            }
            int error = Marshal.GetLastPInvokeError();
            if (error == Native.OutOfMemory)
                return false;
            // Unknown to an older kernel (EINVAL) or refused by a sandbox: write the pages instead, from now on.
            // Interrupted (EINTR, EAGAIN): write this range's pages.
            if (error is not (Native.Interrupted or Native.TryAgain))
                Volatile.Write(ref populateWorks, false);
        }
        for (long offset = 0; offset < bytes; offset += page)
            Marshal.WriteByte(address + (nint)offset, 0);
        Marshal.WriteByte(address + (nint)(bytes - 1), 0);
        return true;
    }

    /// <summary>A <c>/proc/meminfo</c> field in bytes (the file gives kB).</summary>
    public static long? MemInfo(string text, string field)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith(field, StringComparison.Ordinal) || line.Length <= field.Length || line[field.Length] != ':')
                continue;
            var rest = line[(field.Length + 1)..].Trim();
            int space = rest.IndexOf(' ');
            var digits = space < 0 ? rest : rest[..space];
            bool kilobytes = space >= 0 && rest[(space + 1)..].Trim().Equals("kB", StringComparison.Ordinal);
            return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
                ? (kilobytes ? value * 1024 : value)
                : null;
        }
        return null;
    }

    /// <summary>A <c>memory.stat</c> field (bytes), as <c>inactive_file 123</c>.</summary>
    public static long? StatField(string text, string field)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.StartsWith(field, StringComparison.Ordinal) && line.Length > field.Length && line[field.Length] == ' '
                && long.TryParse(line[(field.Length + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                return value;
        }
        return null;
    }

    /// <summary>
    /// Headroom under a memory control group's limit, from its limit, its usage and its inactive file pages
    /// (reclaimable, as the .NET runtime counts them): cgroup v2 (<c>memory.max</c>, <c>memory.current</c>) or v1
    /// (<c>memory.limit_in_bytes</c>, <c>memory.usage_in_bytes</c>). Null without a limit.
    /// </summary>
    /// <param name="limit">The limit file's text (<c>max</c> for none).</param>
    /// <param name="usage">The usage file's text.</param>
    /// <param name="stat">The <c>memory.stat</c> text.</param>
    /// <param name="inactiveField"><c>inactive_file</c> (v2) or <c>total_inactive_file</c> (v1).</param>
    public static (long Limit, long Available)? GroupHeadroom(string limit, string usage, string? stat, string inactiveField)
    {
        // v1 writes "no limit" as a page-rounded 2^63 − 1; anything past 2^60 bytes is no limit.
        if (!long.TryParse(limit.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long max) || max >= 1L << 60)
            return null;
        if (!long.TryParse(usage.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long used))
            return null;
        long inactive = stat is null ? 0 : StatField(stat, inactiveField) ?? 0;
        return (max, Math.Max(0, max - Math.Max(0, used - inactive)));
    }

    private static (long Limit, long Available, string Source)? ControlGroup()
    {
        if (ReadFile("/proc/self/cgroup") is not { } groups)
            return null;
        foreach (var raw in groups.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = raw.Split(':', 3);
            if (parts.Length != 3)
                continue;
            bool v2 = parts[0] == "0" && parts[1].Length == 0;
            bool v1 = parts[1].Split(',').Contains("memory");
            if (!v1 && !v2)
                continue;
            // Inside a container the group's own directory is usually the mount's root.
            string root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
            foreach (string dir in new[] { root + parts[2].TrimEnd('/'), root }.Distinct())
            {
                string limitFile = v2 ? "memory.max" : "memory.limit_in_bytes";
                string usageFile = v2 ? "memory.current" : "memory.usage_in_bytes";
                if (ReadFile(Path.Combine(dir, limitFile)) is not { } limit || ReadFile(Path.Combine(dir, usageFile)) is not { } usage)
                    continue;
                var headroom = GroupHeadroom(limit, usage, ReadFile(Path.Combine(dir, "memory.stat")), v2 ? "inactive_file" : "total_inactive_file");
                if (headroom is { } h)
                    return (h.Limit, h.Available, $"memory control group {dir}, limit {h.Limit:N0} bytes");
                break;
            }
        }
        return null;
    }

    private static string? ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static partial class Native
    {
        public const int HugePage = 14; // MADV_HUGEPAGE
        public const int PopulateWrite = 23; // MADV_POPULATE_WRITE
        public const int Interrupted = 4; // EINTR
        public const int TryAgain = 11; // EAGAIN
        public const int OutOfMemory = 12; // ENOMEM

        [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
        public static partial int Madvise(nint address, nuint length, int advice);
    }
}
