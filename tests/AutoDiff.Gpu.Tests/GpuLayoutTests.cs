namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The engine on the GPU layout's kernels (packed grid-stride loops, fusion at every size), run on the CPU
/// accelerator so that every machine checks the GPU paths: one case of each function of <see cref="OpTable"/>,
/// forward against the host reference and backward against central differences. The launches are slow there
/// (ILGPU runs each group's threads in turn), so it is one case a function, not every size. Each test starts by
/// dropping the compiler's cache: it keeps tens of MB a kernel, and the table compiles hundreds.
/// </summary>
public sealed class GpuLayoutTests : IClassFixture<GpuLayoutFixture>
{
    private readonly GpuLayoutFixture fixture;

    public GpuLayoutTests(GpuLayoutFixture fixture)
    {
        this.fixture = fixture;
        fixture.Device?.ClearCompilerCache();
    }

    private Device Device => fixture.Require();

    [Fact]
    public void The_device_runs_the_gpu_layout_and_fuses_at_every_size()
    {
        Assert.Contains("GPU layout", Device.Name, StringComparison.Ordinal);
        Assert.Equal(0, Device.FusionMinElements);
        var x = new Variable(Device.FromArray([1f, 2f, 3f, 4f, 5f], 5));
        var y = F.Square(F.Square(x));
        Assert.True(y.Data.IsPending);
        Assert.Equal([1f, 16f, 81f, 256f, 625f], y.ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(OpTable.OneCaseAFunction), MemberType = typeof(OpTable))]
    public void Forward_matches_the_host_reference(string key, DType dtype) => OpTableChecks.Forward(Device, key, dtype);

    [Theory]
    [MemberData(nameof(OpTable.OneCaseAFunction), MemberType = typeof(OpTable))]
    public void Backward_matches_central_differences(string key, DType dtype) =>
        OpTableChecks.Backward(Device, key, dtype);
}
