namespace AutoDiff.Gpu.Experiments;

/// <summary>The measurements of one row: a mode in a lifetime.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="Lifetime">How the iterations' tensors ended.</param>
/// <param name="MedianMicroseconds">Median wall time of one iteration, synchronized, over all rounds.</param>
/// <param name="MeanMicroseconds">Mean wall time of one iteration: collections every N iterations show here.</param>
/// <param name="MinMicroseconds">Fastest iteration.</param>
/// <param name="PeakAllocatedBytes">Most bytes held by tensors at once during one iteration run after a full collection.</param>
/// <param name="ReservedBytes">Bytes the pool reserved after the last turn's timed iterations.</param>
/// <param name="BufferBytes">The pool block of one tensor of the input's shape.</param>
/// <param name="WarmupIterations">Untimed iterations run before the timed ones, all rounds together.</param>
/// <param name="WarmupCapped">True when a warm-up stopped at its limit while the pool still grew.</param>
/// <param name="EphemeralCollections">Generation-1 collections the pool started during the timed iterations.</param>
/// <param name="FullCollections">Full collections the pool started during the timed iterations.</param>
/// <param name="Check">What the check found: <c>ok</c>, a skip reason, or the first wrong value.</param>
/// <param name="Passed">False when a result was wrong.</param>
/// <param name="Samples">Allocated bytes over one recorded iteration, when recording was asked for.</param>
/// <param name="RecordedMicroseconds">Length of the recorded iteration.</param>
/// <param name="FirstMicroseconds">The row's first iteration, checked: compilation and first touches included.</param>
/// <param name="Compiled">Kernels and expression shapes compiled during the timed iterations (0 when steady).</param>
/// <param name="GcPauseMicroseconds">Garbage collection pauses (anyone's) during the timed iterations, per iteration.</param>
/// <param name="TimedIterations">Timed iterations, all rounds together.</param>
/// <param name="RoundMeanMicroseconds">The mean of the row's timed iterations in each round, in order.</param>
internal sealed record ModeResult(
    Mode Mode,
    Lifetime Lifetime,
    bool Fused,
    double LaunchesPerIteration,
    double MedianMicroseconds,
    double MeanMicroseconds,
    double MinMicroseconds,
    long PeakAllocatedBytes,
    long ReservedBytes,
    long BufferBytes,
    int WarmupIterations,
    bool WarmupCapped,
    long EphemeralCollections,
    long FullCollections,
    string Check,
    bool Passed,
    IReadOnlyList<(double Microseconds, long Bytes)>? Samples,
    double RecordedMicroseconds,
    double FirstMicroseconds,
    long Compiled,
    double GcPauseMicroseconds,
    int TimedIterations,
    IReadOnlyList<double> RoundMeanMicroseconds)
{
    /// <summary>The peak in units of one tensor's pool block.</summary>
    public double PeakBuffers => (double)PeakAllocatedBytes / BufferBytes;

    /// <summary><c>backward/natural/fused</c>.</summary>
    public string Label => $"{Options.ModeName(Mode)}/{Options.LifetimeName(Lifetime)}/{(Fused ? "fused" : "eager")}";
}
