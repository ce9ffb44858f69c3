namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// A collective failed: MPI or NCCL reported an error (the message quotes it), or the ranks disagree on the call
/// (the message names both ranks and what each passed).
/// </summary>
public sealed class CollectiveException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CollectiveException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the one it restates.</summary>
    public CollectiveException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
