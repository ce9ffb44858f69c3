using System.Diagnostics;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// Progress lines on standard error for runs long enough to need them: at most one a second, and for large
/// inputs also each slow step as it starts.
/// </summary>
internal sealed class Progress(bool enabled)
{
    /// <summary>From this many elements on, a slow step (reading results back, recording) is announced as it starts.</summary>
    private const long LargeElements = 1L << 26;

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private string mode = string.Empty;
    private long last;
    private bool printed;
    private bool large;

    /// <summary>Starts a row.</summary>
    public void Begin(string label, long elements)
    {
        mode = label;
        printed = false;
        large = elements >= LargeElements;
        last = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Reports what the mode does now: printed when the last line is a second old, or at once when
    /// <paramref name="announce"/> is set and the input is large.
    /// </summary>
    public void Report(string step, bool announce = false)
    {
        if (enabled && ((announce && large) || Stopwatch.GetElapsedTime(last) >= Interval))
            Print(step);
    }

    /// <summary>Prints <paramref name="line"/> at once (unless quiet).</summary>
    public void Say(string line)
    {
        if (enabled)
            Console.Error.WriteLine(line);
    }

    /// <summary>Ends a mode; prints <paramref name="step"/> if anything was printed for it.</summary>
    public void End(string step)
    {
        if (enabled && printed)
            Print(step);
    }

    private void Print(string step)
    {
        Console.Error.WriteLine($"running {mode}: {step}");
        printed = true;
        last = Stopwatch.GetTimestamp();
    }
}
