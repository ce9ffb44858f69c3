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
    [InlineData("gpu:3", DeviceKind.Cuda, 3)]
    [InlineData("cl", DeviceKind.OpenCL, 0)]
    public void Device_ids_parse(string spec, DeviceKind kind, int index) =>
        Assert.Equal(((DeviceKind?)kind, index), Device.ParseId(spec));

    [Theory]
    [InlineData("tpu", "unknown device 'tpu': use cpu, cuda, opencl or best")]
    [InlineData("cuda:x", "bad device 'cuda:x': the index after ':' must be a number")]
    [InlineData("cuda:", "bad device 'cuda:': the index after ':' must be a number")]
    [InlineData("cuda:-1", "bad device 'cuda:-1': the index after ':' must be ≥ 0, not -1")]
    public void Bad_device_ids_name_the_value(string spec, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Device.ParseId(spec));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(message, Assert.Throws<ArgumentException>(() => Device.Open(spec)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_absent_device_opened_by_an_alias_names_the_alias_and_its_meaning()
    {
        Assert.StartsWith("no cpu:5 device is present", Assert.Throws<DeviceNotFoundException>(() => Device.Open("cpu:5")).Message, StringComparison.Ordinal);
        Assert.StartsWith("'cl:9': no opencl:9 device is present", Assert.Throws<DeviceNotFoundException>(() => Device.Open("cl:9")).Message, StringComparison.Ordinal);
        if (Device.List().All(d => d.Kind != DeviceKind.Cuda))
            Assert.StartsWith("'gpu': no cuda:0 device is present", Assert.Throws<DeviceNotFoundException>(() => Device.Open("gpu")).Message, StringComparison.Ordinal);
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
        Assert.Equal(1, small.Config.GroupDim.X);
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
/// The GPU kernels compile for CUDA (PTX for SM 9.0, the H100) and OpenCL C 2.0 without a GPU, with 16-byte
/// vector loads for packed float32 and float64; <see cref="PackedKernelTests"/> runs the same kernels on the
/// CPU accelerator. Together they guard the GPU layout in CI, which has no GPU.
/// </summary>
public sealed class GpuCompilationTests
{
    public static TheoryData<string, string?> Kernels() => new()
    {
        { "MapPacked", "ld.global.v4.f32" },
        { nameof(ElementwiseKernels.ZipPacked), "ld.global.v2.f64" },
        { nameof(ElementwiseKernels.FillPacked), "st.global.v4.f32" },
        { nameof(ElementwiseKernels.ZipPacked) + "Single", null },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_PTX_and_OpenCL(string kernel, string? vectorInstruction)
    {
        var method = kernel switch
        {
            "MapPacked" => Method(nameof(ElementwiseKernels.ZipPacked), typeof(float), typeof(Float4), typeof(UnaryAsBinary<Functions.SquareOperator>)),
            nameof(ElementwiseKernels.ZipPacked) => Method(nameof(ElementwiseKernels.ZipPacked), typeof(double), typeof(Double2), typeof(Functions.SquareBackwardOperator)),
            nameof(ElementwiseKernels.FillPacked) => Method(nameof(ElementwiseKernels.FillPacked), typeof(float), typeof(Float4)),
            _ => Method(nameof(ElementwiseKernels.ZipPacked), typeof(float), typeof(Single<float>), typeof(PlusOperator)),
        };
        using var context = Context.Create(builder => builder.Cuda().OpenCL().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);

        using var ptx = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var assembly = ((PTXCompiledKernel)ptx.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
        Assert.Contains(".entry", assembly, StringComparison.Ordinal);
        // Grid-stride: the loop reads the grid size.
        Assert.Contains("%nctaid.x", assembly, StringComparison.Ordinal);
        if (vectorInstruction is not null)
            Assert.Contains(vectorInstruction, assembly, StringComparison.Ordinal);

        using var cl = new CLBackend(context, new CLCapabilityContext(float16: false, float64: true, genericAddressSpace: true, int64_Atomics: false, subGroups: false), CLDeviceVendor.Other, CLCVersion.CL20);
        var source = ((CLCompiledKernel)cl.Compile(entry, KernelSpecialization.Empty)).Source;
        Assert.Contains("kernel", source, StringComparison.Ordinal);
    }

    private static System.Reflection.MethodInfo Method(string name, params Type[] arguments) =>
        typeof(ElementwiseKernels).GetMethod(name)!.MakeGenericMethod(arguments);
}

/// <summary>The packed grid-stride kernels (the GPU layout) run on the CPU accelerator and match a scalar reference, tails included.</summary>
public sealed class PackedKernelTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(1027)]
    public void Packed_kernels_match_the_reference(int n)
    {
        var device = fixture.Require();
        var kernels = new KernelLibrary(device.Accelerator, KernelStyle.Packed);
        Assert.Equal(KernelStyle.Packed, kernels.Style);
        var a = Enumerable.Range(0, n).Select(i => (float)(i - 3.5)).ToArray();
        var b = Enumerable.Range(0, n).Select(i => (float)((i * 7) % 11)).ToArray();
        var ad = Array.ConvertAll(a, v => (double)v);

        using var ta = device.FromArray(a);
        using var tb = device.FromArray(b);
        using var tad = device.FromArray(ad);
        using var y = device.Empty(ta.Shape, DType.Float32);
        using var yd = device.Empty(ta.Shape, DType.Float64);

        kernels.Map<float, Functions.SquareOperator>(ta.View<float>(), y.View<float>());
        Assert.Equal(a.Select(v => v * v), y.ToArray<float>());
        kernels.Zip<float, Functions.SquareBackwardOperator>(ta.View<float>(), tb.View<float>(), y.View<float>());
        Assert.Equal(a.Zip(b, (x, g) => (x + x) * g), y.ToArray<float>());
        kernels.Fill(y.View<float>(), 2.5f);
        Assert.All(y.ToArray<float>(), v => Assert.Equal(2.5f, v));
        kernels.Zip<double, PlusOperator>(tad.View<double>(), tad.View<double>(), yd.View<double>());
        Assert.Equal(ad.Select(v => v + v), yd.ToArray<double>());
        kernels.Fill(yd.View<double>(), -1.0);
        Assert.All(yd.ToArray<double>(), v => Assert.Equal(-1.0, v));
        // A view that starts off a 16-byte boundary takes the one-element path.
        if (n > 1)
        {
            kernels.Map<float, Functions.SquareOperator>(ta.View<float>().SubView(1), y.View<float>().SubView(1));
            Assert.Equal(a.Skip(1).Select(v => v * v), y.ToArray<float>().Skip(1));
        }
    }
}
