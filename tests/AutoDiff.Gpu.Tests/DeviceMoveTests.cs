using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// DeZero's <c>to_gpu</c>/<c>to_cpu</c>: variables and layers move between this kind's device and the CPU
/// accelerator in place, and training goes on where it was. On the CPU kind the move is to the same accelerator,
/// which changes nothing. Bound to each accelerator kind below.
/// </summary>
public abstract class DeviceMoveTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    private bool SameAsCpu => fixture.Kind == DeviceKind.Cpu;

    [Fact]
    public void A_variable_moves_with_its_gradient_and_back()
    {
        using var cpu = Device.Cpu();
        var x = new Variable(Device.FromArray([1.0, -2.0, 3.0]), "x");
        Sum(Square(x)).Backward();
        var data = x.Data;
        Assert.Same(x, x.To(cpu));
        Assert.Equal(cpu.Id, x.Device.Id);
        Assert.Equal(cpu.Id, x.Grad!.Device.Id);
        Assert.Equal([1.0, -2.0, 3.0], x.ToDoubleArray());
        Assert.Equal([2.0, -4.0, 6.0], x.Grad.ToDoubleArray());
        Assert.Equal(SameAsCpu, ReferenceEquals(data, x.Data));
        Assert.Equal(!SameAsCpu, data.IsDisposed);

        if (!SameAsCpu)
        {
            // Operands on two devices: the error names both.
            var other = new Variable(Device.FromArray([1.0, 1.0, 1.0]));
            var e = Assert.Throws<ArgumentException>(() => x + other);
            Assert.Contains(cpu.Id, e.Message, StringComparison.Ordinal);
            Assert.Contains(Device.Id, e.Message, StringComparison.Ordinal);
        }
        x.To(Device);
        Assert.Equal(Device.Id, x.Device.Id);
        Assert.Equal([1.0, -2.0, 3.0], x.ToDoubleArray());
        var made = x * 2.0;
        Refused.With<InvalidOperationException>("only leaves move", () => made.To(cpu));
    }

    [Fact]
    public void A_model_moved_between_steps_trains_as_one_that_stayed()
    {
        using var cpu = Device.Cpu();
        var x = HostArray.Random(new Shape(6, 4), 5);
        var t = HostArray.Random(new Shape(6, 2), 6);
        var stayed = Train(Device, Device, x, t);
        var moved = Train(Device, cpu, x, t);
        Assert.Equal(stayed.NamedParams().Select(p => p.Name), moved.NamedParams().Select(p => p.Name));
        foreach (var (a, b) in stayed.Params().Zip(moved.Params()))
            KernelHost.AssertNear(a.ToDoubleArray(), b.ToDoubleArray(), 1e-10, "parameter: ");
        Assert.All(moved.Params(), p => Assert.Equal(cpu.Id, p.Device.Id));
        Assert.All(moved.NamedBuffers(), b => Assert.Equal(cpu.Id, b.Buffer.Device.Id));
    }

    [Fact]
    public void A_recurrent_layer_drops_its_state_when_moved()
    {
        using var cpu = Device.Cpu();
        var rnn = new Rnn(3);
        rnn.Call(new Variable(Device.Ones(new Shape(1, 2), DType.Float64)));
        Assert.NotNull(rnn.H);
        rnn.To(cpu);
        Assert.Null(rnn.H);
        Assert.Equal(new Shape(1, 3), rnn.Call(new Variable(cpu.Ones(new Shape(1, 2), DType.Float64))).Shape);
    }

    /// <summary>
    /// Three steps of momentum SGD on a linear layer and batch norm, moved to <paramref name="second"/> after step 1.
    /// </summary>
    private static Sequential Train(Device first, Device second, HostArray x, HostArray t)
    {
        first.Random.ManualSeed(2);
        var linear = new Linear(2, inSize: 4, dtype: DType.Float64, device: first);
        var model = new Sequential(linear, new Layers.BatchNorm());
        var optimizer = new MomentumSgd(0.1).Setup(model);
        for (int step = 0; step < 3; step++)
        {
            var device = step == 0 ? first : second;
            if (step == 1)
                model.To(second);
            var y = model.Call(new Variable(x.ToTensor(device, DType.Float64)));
            model.ClearGrads();
            MeanSquaredError(y, new Variable(t.ToTensor(device, DType.Float64))).Backward();
            optimizer.Update();
        }
        return model;
    }
}

public sealed class CpuDeviceMoveTests(CpuFixture fixture) : DeviceMoveTests<CpuFixture>(fixture);

public sealed class CudaDeviceMoveTests(CudaFixture fixture) : DeviceMoveTests<CudaFixture>(fixture);

public sealed class OpenCLDeviceMoveTests(OpenCLFixture fixture) : DeviceMoveTests<OpenCLFixture>(fixture);
