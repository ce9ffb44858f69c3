using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace AutoDiff.Gpu.Tests;

public sealed class DeviceTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    [Fact]
    public void The_CPU_accelerator_is_always_listed_last()
    {
        var devices = Device.List();
        Assert.Equal(DeviceKind.Cpu, devices[^1].Kind);
        Assert.Equal("cpu:0", devices[^1].Id);
    }

    [Fact]
    public void An_absent_device_is_a_clear_error_listing_what_is_present()
    {
        var e = Assert.Throws<DeviceNotFoundException>(() => Device.Open(DeviceKind.Cpu, 5));
        Assert.Contains("cpu:5", e.Message, StringComparison.Ordinal);
        Assert.Contains("cpu:0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu", DeviceKind.Cpu, 0)]
    [InlineData("CUDA:1", DeviceKind.Cuda, 1)]
    [InlineData(" opencl:2 ", DeviceKind.OpenCL, 2)]
    public void Device_ids_parse(string spec, DeviceKind kind, int index) =>
        Assert.Equal(((DeviceKind?)kind, index), Device.ParseId(spec));

    [Theory]
    [InlineData("tpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    public void Bad_device_ids_name_the_value(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => Device.ParseId(spec));
        Assert.Contains(spec, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_by_id_gives_the_named_device_as_listed()
    {
        using var device = Device.Open("cpu:0");
        Assert.Equal("cpu:0", device.Id);
        Assert.Equal(DeviceKind.Cpu, device.Kind);
        var listed = Device.List().Single(d => d.Id == "cpu:0");
        Assert.Equal(listed.Name, device.Name);
        Assert.True(device.MemorySize > 0 && device.MemorySize < long.MaxValue);
    }

    [Fact]
    public void CPU_launches_give_each_core_one_contiguous_chunk()
    {
        var accelerator = fixture.Require().Accelerator;
        int threads = accelerator.MaxNumThreadsPerGroup;
        Assert.Equal(Math.Max(2, Environment.ProcessorCount), threads);

        var plan = LaunchPlan.For(accelerator, 1_000_000);
        Assert.Equal(1, plan.Config.GridDim.X);
        Assert.Equal(threads, plan.Config.GroupDim.X);
        Assert.True(plan.Chunk * threads >= 1_000_000);
        Assert.True((plan.Chunk - 1) * threads < 1_000_000);

        var small = LaunchPlan.For(accelerator, 100);
        Assert.Equal(100, small.Chunk);
    }

    [Fact]
    public void A_disposed_device_refuses_work()
    {
        var device = Device.Cpu();
        var t = device.FromArray([1f]);
        device.Dispose();
        device.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Ones(2));
        Assert.True(device.IsDisposed);
        GC.KeepAlive(t);
    }
}

/// <summary>
/// The GPU code paths of every kernel compile for CUDA (PTX for SM 9.0, the H100) and OpenCL C 2.0 without a
/// GPU: the CPU accelerator runs the other branch of each kernel, so this is what guards the GPU branch in CI.
/// </summary>
public sealed class GpuCompilationTests
{
    public static TheoryData<string> Kernels() =>
    [
        "Map<float, SquareOperator>", "Map<double, SquareOperator>",
        "Zip<float, SquareBackwardOperator>", "Zip<double, AddOperator>",
        "Fill<float>", "Fill<double>",
    ];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_PTX_and_OpenCL(string kernel)
    {
        var method = Resolve(kernel);
        using var context = Context.Create(builder => builder.Cuda().OpenCL().EnableAlgorithms());
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);

        using var ptx = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var compiled = (PTXCompiledKernel)ptx.Compile(entry, KernelSpecialization.Empty);
        Assert.Contains(".entry", compiled.PTXAssembly, StringComparison.Ordinal);
        // The grid-stride loop (the GPU branch) reads the grid size; the CPU branch never does.
        Assert.Contains("%nctaid.x", compiled.PTXAssembly, StringComparison.Ordinal);

        using var cl = new CLBackend(context, new CLCapabilityContext(float16: false, float64: true, genericAddressSpace: true, int64_Atomics: false, subGroups: false), CLDeviceVendor.Other, CLCVersion.CL20);
        var source = ((CLCompiledKernel)cl.Compile(entry, KernelSpecialization.Empty)).Source;
        Assert.Contains("kernel", source, StringComparison.Ordinal);
    }

    private static System.Reflection.MethodInfo Resolve(string kernel)
    {
        string name = kernel[..kernel.IndexOf('<', StringComparison.Ordinal)];
        var args = kernel[(name.Length + 1)..^1].Split(", ").Select(a => a switch
        {
            "float" => typeof(float),
            "double" => typeof(double),
            "SquareOperator" => typeof(Functions.SquareOperator),
            "SquareBackwardOperator" => typeof(Functions.SquareBackwardOperator),
            "AddOperator" => typeof(Functions.AddOperator),
            _ => throw new ArgumentException(a),
        }).ToArray();
        return typeof(ElementwiseKernels).GetMethod(name)!.MakeGenericMethod(args);
    }
}
