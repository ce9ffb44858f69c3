namespace AutoDiff.Gpu.Tests;

/// <summary>Opens one device of a kind for a test class, or records why it is absent.</summary>
public abstract class DeviceFixture : IDisposable
{
    protected DeviceFixture(DeviceKind kind)
    {
        Kind = kind;
        try
        {
            Device = Device.Open(kind, 0);
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
        return Device.Open(Kind, 0);
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
