namespace AutoDiff.Gpu.Tests;

/// <summary>Opens one device of a kind for a test class, or records why it is absent.</summary>
public abstract class DeviceFixture : IDisposable
{
    private readonly Func<Device> open;

    /// <summary>Opens the first device of <paramref name="kind"/>, or with <paramref name="open"/> where given.</summary>
    protected DeviceFixture(DeviceKind kind, Func<Device>? open = null)
    {
        Kind = kind;
        this.open = open ?? (() => Device.Open(kind, 0));
        try
        {
            Device = this.open();
        }
        catch (DeviceNotFoundException)
        {
            SkipReason = AbsentReason(kind);
        }
    }

    /// <summary>The one skip reason for an absent kind, so that every suite's skips are summarized in one line.</summary>
    public static string AbsentReason(DeviceKind kind) =>
        $"no {kind} device on this machine; present: {string.Join(", ", Device.List())}";

    public DeviceKind Kind { get; }

    public Device? Device { get; }

    public string? SkipReason { get; }

    /// <summary>The shared device, or a visible skip when the kind is absent.</summary>
    public Device Require()
    {
        if (Device is null)
            Assert.Skip(SkipReason!);
        return Device!;
    }

    /// <summary>A fresh device of this kind (for tests that count bytes from zero), or a visible skip.</summary>
    public Device OpenFresh()
    {
        Require();
        return open();
    }

    public void Dispose()
    {
        Device?.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class CpuFixture() : DeviceFixture(DeviceKind.Cpu);

public sealed class CudaFixture() : DeviceFixture(DeviceKind.Cuda);

public sealed class OpenCLFixture() : DeviceFixture(DeviceKind.OpenCL);

/// <summary>
/// The CPU accelerator with the GPU layout's kernels (packed grid-stride loops, fusion at every size): the engine's
/// GPU paths, run on any machine.
/// </summary>
public sealed class GpuLayoutFixture() : DeviceFixture(DeviceKind.Cpu, Device.CpuWithGpuLayout);
