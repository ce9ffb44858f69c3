namespace AutoDiff.Gpu.Distributed;

/// <summary>One rank without a launcher: every collective is the identity.</summary>
internal sealed class SingleRankBackend(Device device) : ICollectiveBackend
{
    public string Name => "single";

    public int Rank => 0;

    public int Size => 1;

    public long[] Exchange(long[] mine) => mine;

    public void AllReduce(Tensor tensor, bool max)
    {
    }

    public void Broadcast(Tensor tensor, int root)
    {
    }

    public void AllGather(Tensor input, Tensor output) => Launch.Copy(input, output);

    public void ReduceScatter(Tensor input, Tensor output, bool max) => Launch.Copy(input, output);

    public void Barrier() => device.Synchronize();

    public void Dispose()
    {
    }
}
