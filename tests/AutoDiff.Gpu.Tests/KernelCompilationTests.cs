using System.Reflection;
using System.Text.RegularExpressions;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using AutoDiff.Gpu.Functions;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Every GPU kernel of the kernel layer, specialised as the engine specialises it (transcendental operators,
/// operators with parameters, float32 and float64, packed and single-element), compiles to PTX for SM 9.0
/// and to OpenCL C 2.0 without a GPU, in a context with ILGPU.Algorithms enabled as the engine's is. The
/// kernel-layer tests run the same kernels on the CPU accelerator; together they guard the GPU layout in CI.
/// </summary>
public sealed partial class KernelCompilationTests
{
    private static readonly Dictionary<string, (MethodInfo Kernel, string[] Ptx, KernelSpecialization Bounds)> Cases = Build();

    public static TheoryData<string> Names() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Kernel_compiles_to_PTX_and_OpenCL(string name)
    {
        var (kernel, expected, bounds) = Cases[name];
        using var context = Context.Create(builder => builder.Cuda().OpenCL().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(kernel);

        using var ptx = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        string assembly = ((PTXCompiledKernel)ptx.Compile(entry, bounds)).PTXAssembly;
        Assert.Contains(".entry", assembly, StringComparison.Ordinal);
        SavePtx(name, assembly);
        // A call ILGPU cannot resolve (1.5.3 leaves Math.FusedMultiplyAdd so) compiles here but fails the driver's PTX JIT.
        Assert.DoesNotContain(".extern", assembly, StringComparison.Ordinal);
        // An expected string is an instruction the PTX contains, or a count of one (below).
        foreach (string instruction in expected)
        {
            // "5ld…": exactly 5 occurrences; "4<ld…": at least 4 before the first global store (loads in flight
            // together); "3>st…": at most 3; "!…": none.
            if (instruction.StartsWith('!'))
            {
                Assert.DoesNotContain(instruction[1..], assembly, StringComparison.Ordinal);
                continue;
            }
            var counted = CountedInstruction().Match(instruction);
            if (!counted.Success)
            {
                Assert.Contains(instruction, assembly, StringComparison.Ordinal);
                continue;
            }
            int count = int.Parse(counted.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            string pattern = Regex.Escape(counted.Groups[3].Value);
            if (counted.Groups[2].Value == ">")
            {
                int found = Regex.Count(assembly, pattern);
                Assert.True(found <= count, $"{name}: {found} {counted.Groups[3].Value}, at most {count} expected");
            }
            else if (counted.Groups[2].Success)
            {
                int store = assembly.IndexOf("st.global", StringComparison.Ordinal);
                Assert.True(store > 0, $"{name}: no global store");
                int before = Regex.Count(assembly[..store], pattern);
                Assert.True(before >= count, $"{name}: {before} {counted.Groups[3].Value} before the first store, {count} expected");
            }
            else
            {
                Assert.Equal(count, Regex.Count(assembly, pattern));
            }
        }

        // The matrix-unit kernel runs on CUDA only (its fallback, for tests on the CPU accelerator, shuffles across the warp).
        if (CudaOnly.Contains(name))
            return;
        using var cl = new CLBackend(context, new CLCapabilityContext(float16: false, float64: true, genericAddressSpace: true, int64_Atomics: true, subGroups: false), CLDeviceVendor.Other, CLCVersion.CL20);
        string source = ((CLCompiledKernel)cl.Compile(entry, bounds)).Source;
        Assert.Contains("kernel", source, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes the kernel's PTX to the folder named by <see cref="PtxFolderVariable"/>, when set: on a machine with
    /// CUDA's <c>ptxas</c>, <c>scripts/gpu-check.sh</c> reads the registers and spills of each kernel from them.
    /// </summary>
    private static void SavePtx(string name, string assembly)
    {
        string? folder = Environment.GetEnvironmentVariable(PtxFolderVariable);
        if (string.IsNullOrWhiteSpace(folder))
            return;
        Directory.CreateDirectory(folder);
        string file = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
        File.WriteAllText(Path.Combine(folder, file + ".ptx"), assembly);
    }

    private static readonly HashSet<string> CudaOnly = ["matmul float64 tensor cores", "matmul float64 tensor cores large tile"];

    /// <summary>The environment variable naming a folder for the compiled kernels' PTX.</summary>
    public const string PtxFolderVariable = "AUTODIFF_PTX_DIR";

    private static Dictionary<string, (MethodInfo, string[], KernelSpecialization)> Build()
    {
        var cases = new Dictionary<string, (MethodInfo, string[], KernelSpecialization)>();
        void Add(string name, Type owner, string method, Type[] arguments, params string[] ptx) =>
            cases.Add(name, (owner.GetMethod(method)!.MakeGenericMethod(arguments), ptx, KernelSpecialization.Empty));
        // The tiled products as the library loads them: compiled for their group size and groups per multiprocessor.
        void AddTiled<TTile>(string name, string method, Type[] arguments, params string[] ptx)
            where TTile : struct, IMatMulTile =>
            cases.Add(name, (typeof(MatMulKernels).GetMethod(method)!.MakeGenericMethod(arguments),
                [.. ptx, $".maxntid {TTile.Threads}, 1, 1", $".minnctapersm {TTile.GroupsPerMultiprocessor}"],
                new KernelSpecialization(TTile.Threads, TTile.GroupsPerMultiprocessor)));
        var e = typeof(ElementwiseKernels);
        var (f, d) = (typeof(float), typeof(double));

        // Packed loops load four packs a step before the first store, then take the rest one pack at a time. A
        // map is ZipPacked with b = a: the loads of b are dead, so five vector loads remain (four and one).
        // Fused expressions, composed as the engine composes them at run time, walk packs as maps do: a vector load
        // per pack of each input read whole (20 elements in five packs), four packs loaded before the first store,
        // then the tail element by element. Each input is loaded once per element however often the expression reads
        // it, and no operand goes to local memory. A constant, as every operator parameter, is stored to local memory
        // once and read from there at each element (four lanes of five packs and the tail: 21).
        var fused = typeof(FusedKernels);
        Add("fused seed gradient float32", fused, "Run", [f, typeof(Float4), typeof(Binary<SquareBackwardOperator,
            Arg<Slots.S0>, Binary<SquareBackwardOperator, Unary<SquareOperator, Arg<Slots.S0>>, Constant>>)],
            "5ld.global.v4.f32", "4<ld.global.v4.f32", "5st.global.v4.f32", "1ld.global.f32", "21ld.local.f32",
            "5>st.local");
        Add("fused three inputs float64", fused, "Run", [d, typeof(Double2), typeof(Binary<MulOperator,
            Unary<TanhOperator, Arg<Slots.S2>>, Binary<PlusOperator, Unary<ExpOperator, Arg<Slots.S0>>, Arg<Slots.S1>>>)],
            "!.local", "15ld.global.v2.f64", "12<ld.global.v2.f64", "5st.global.v2.f64", "3ld.global.f64");
        // Broadcast inputs gather their lanes at their index's offsets, still once per element: a bias row (four
        // lanes of five packs and the tail, beside x's tail), then the per-channel scale and shift of a normalization
        // (values repeated along each run).
        Add("fused bias relu float32", fused, "Run", [f, typeof(Float4), typeof(Unary<ReLUOperator, Binary<PlusOperator,
            Arg<Slots.S0>, BroadcastArg<Slots.S1, Runs.Contiguous>>>)],
            "!.local", "5ld.global.v4.f32", "4<ld.global.v4.f32", "22ld.global.f32", "5st.global.v4.f32");
        Add("fused scale and shift float64", fused, "Run", [d, typeof(Double2), typeof(Binary<PlusOperator,
            Binary<MulOperator, Arg<Slots.S0>, BroadcastArg<Slots.S1, Runs.Repeated>>,
            BroadcastArg<Slots.S2, Runs.Repeated>>)],
            "!.local", "5ld.global.v2.f64", "4<ld.global.v2.f64", "23ld.global.f64", "5st.global.v2.f64");
        Add("map exp float32 packed", e, "ZipPacked", [f, typeof(Float4), typeof(UnaryAsBinary<ExpOperator>)], "4<ld.global.v4.f32", "5ld.global.v4.f32", "st.global.v4.f32", "mul.f32", "!.approx", "%nctaid.x");
        Add("zip div float64 packed", e, "ZipPacked", [d, typeof(Double2), typeof(DivOperator)], "8<ld.global.v2.f64", "10ld.global.v2.f64", "div.rn.f64");
        // sin and cos are ElementaryMath's: fused multiply-adds, never PTX's approximations.
        // Their float64 fma.rn takes its operands as 32-bit halves (InlinePtx): a 64-bit local slot, which ptxas keeps, never appears.
        Add("map sin float32 accurate", e, "ZipPacked", [f, typeof(Float4), typeof(UnaryAsBinary<SinOperator>)], "fma.rn.f32", "!sin.approx", "!cos.approx", "!st.local.f64");
        Add("map cos float64 accurate", e, "ZipPacked", [d, typeof(Double2), typeof(UnaryAsBinary<CosOperator>)], "fma.rn.f64", "!sin.approx", "!cos.approx", "!st.local.f64", "!ld.local.f64");
        Add("zip plus float32 single", e, "ZipPacked", [f, typeof(Single<float>), typeof(PlusOperator)], "add.f32");
        foreach (var (op, type) in Operators())
        {
            // ElementaryMath's functions are plain arithmetic: no PTX approximation (ex2.approx, lg2.approx,
            // tanh.approx) and no call (a function ILGPU cannot lower stays an undefined call).
            string[] ptx = op.Contains("exp", StringComparison.Ordinal) || op is "log" or "tanh" or "sigmoid" ? ["!.approx", "!call"] : [];
            // A parameter is read in place: the operator goes to local memory once per thread (a store or two at
            // the start), never at every element (16 stores per packed step when it was converted in Apply).
            if (op is "c - x" or "exp of scaled")
                ptx = [.. ptx, "3>st.local"];
            Add($"map {op} float32", e, "ZipPacked", [f, typeof(Float4), type], ptx);
            Add($"map {op} float64", e, "ZipPacked", [d, typeof(Double2), type], ptx);
        }
        // x^±½ is the correctly rounded square root, not the backend's pow, in the engine's power operator.
        Add("map engine pow float32", e, "ZipPacked", [f, typeof(Float4), typeof(UnaryAsBinary<AutoDiff.Gpu.Functions.PowOperator>)], "sqrt.rn.f32");
        Add("map engine pow float64", e, "ZipPacked", [d, typeof(Double2), typeof(UnaryAsBinary<AutoDiff.Gpu.Functions.PowOperator>)], "sqrt.rn.f64");
        Add("map leaky relu float32", e, "ZipPacked", [f, typeof(Float4), typeof(UnaryAsBinary<AutoDiff.Gpu.Functions.LeakyReLUOperator>)]);
        Add("zip clip gradient float64", e, "ZipPacked", [d, typeof(Double2), typeof(AutoDiff.Gpu.Functions.InsideGradient)]);
        Add("zip logistic loss float32", e, "ZipPacked", [f, typeof(Float4), typeof(AutoDiff.Gpu.Functions.LogisticLossOperator)], "!.approx", "!call");
        Add("fill float32", e, "FillPacked", [f, typeof(Float4)], "5st.global.v4.f32");
        Add("fill float64 single", e, "FillPacked", [d, typeof(Single<double>)]);
        Add("broadcast sub float32", e, "BroadcastPacked", [f, typeof(Float4), typeof(SubOperator)], "4<ld.global.v4.f32");
        Add("broadcast flipped div float64", e, "BroadcastPacked", [d, typeof(Double2), typeof(Flip<DivOperator>)], "4<ld.global.v2.f64");
        Add("broadcast map float32", e, "BroadcastPacked", [f, typeof(Float4), typeof(UnaryAsBinary<TestNeg>)]);
        Add("strided mul float32", e, "ZipStrided", [f, typeof(MulOperator)]);
        Add("strided copy float64", e, "ZipStrided", [d, typeof(UnaryAsBinary<IdentityOperator>)]);

        var r = typeof(ReduceKernels);
        Add("sum rows float32", r, "ReduceRowsPacked", [f, typeof(Float4), typeof(SumReduction), typeof(IdentityOperator)], "bar.sync", ".shared", "5ld.global.v4.f32");
        Add("max rows float64 mean-scaled", r, "ReduceRowsPacked", [d, typeof(Double2), typeof(MaxReduction), typeof(ScaleOperator)], "bar.sync");
        Add("sum rows float32 then log", r, "ReduceRowsPacked", [f, typeof(Float4), typeof(SumReduction), typeof(LogOperator)], "bar.sync", "!.approx", "!call"); // log-softmax's log Σ
        Add("min rows float32 single", r, "ReduceRowsPacked", [f, typeof(Single<float>), typeof(MinReduction), typeof(IdentityOperator)], "bar.sync");
        Add("sum columns float32", r, "ReduceColumnsPacked", [f, typeof(Float4), typeof(SumReduction), typeof(ScaleOperator)], "5ld.global.v4.f32");
        Add("max columns float64 single", r, "ReduceColumnsPacked", [d, typeof(Single<double>), typeof(MaxReduction), typeof(IdentityOperator)]);

        // Fused reductions: each pack computed from its inputs' packs (vector loads of those read whole, two inputs
        // of four unrolled packs and one), each input loaded once per element.
        var fr = typeof(FusedReduceKernels);
        var difference = typeof(Binary<SubOperator, Arg<Slots.S0>, Arg<Slots.S1>>);
        var square = typeof(Binary<,,>).MakeGenericType(typeof(MulOperator), difference, difference);
        Add("fused sum rows of squares float32", fr, "Rows", [f, typeof(Float4), square, typeof(SumReduction),
            typeof(IdentityOperator)], "bar.sync", ".shared", "!.local", "!call", "10ld.global.v4.f32");
        Add("fused mean rows of squares float32", fr, "Rows", [f, typeof(Float4), square, typeof(SumReduction),
            typeof(ScaleOperator)], "bar.sync", "!call", "10ld.global.v4.f32");
        Add("fused log-sum-exp rows float64 single", fr, "Rows", [d, typeof(Single<double>), typeof(Unary<ExpOperator,
            Binary<SubOperator, Arg<Slots.S0>, BroadcastArg<Slots.S1, Runs.Repeated>>>), typeof(SumReduction),
            typeof(LogOperator)], "bar.sync", "!.approx", "!call");
        Add("fused max columns float64", fr, "Columns", [d, typeof(Double2), typeof(Binary<MulOperator,
            Arg<Slots.S0>, BroadcastArg<Slots.S1, Runs.Contiguous>>), typeof(MaxReduction), typeof(IdentityOperator)],
            "st.global.v2.f64", "!call", "5ld.global.v2.f64");

        var i = typeof(IndexKernels);
        Add("gather and scatter-add float32", i, "Index", [f], "red.add.global.f32");
        Add("gather and scatter-add float64", i, "Index", [d], "red.add.global.f64");

        var random = typeof(RandomKernels);
        Add("random float32", random, "Fill", [f], "sqrt.rn.f32", "!.approx", "!call");
        Add("random float64", random, "Fill", [d], "sqrt.rn.f64", "!.approx", "!call");
        Add("argmax and hits float32", typeof(ArgReduceKernels), "ArgReduce", [f], "!call");
        Add("argmax and hits float64", typeof(ArgReduceKernels), "ArgReduce", [d], "!call");
        Add("argmax of long rows float32", typeof(ArgReduceRowKernels), "ArgReduceRows", [f], "bar.sync", "!call");
        // Updates walk packs as maps do: four packs of p, g and each state the rule keeps loaded before any store
        // (Adam: p, g, m and v, 20 vector loads in all), vector stores of p and the states, the tail by elements.
        Add("update adam float32", typeof(UpdateKernels), "Update", [f, typeof(Float4),
            typeof(AutoDiff.Gpu.Optimizers.AdamRule)], "sqrt.rn.f32", "!call", "20ld.global.v4.f32",
            "16<ld.global.v4.f32", "15st.global.v4.f32");
        Add("update momentum float64", typeof(UpdateKernels), "Update", [d, typeof(Double2),
            typeof(AutoDiff.Gpu.Optimizers.MomentumRule)], "!call", "15ld.global.v2.f64", "12<ld.global.v2.f64",
            "10st.global.v2.f64");
        Add("update momentum float32 single", typeof(UpdateKernels), "Update", [f, typeof(Single<float>),
            typeof(AutoDiff.Gpu.Optimizers.MomentumRule)], "!call");

        AddTiled<LargeTile>("matmul float32 large tile", "MatMulTiled", [f, typeof(LargeTile)], "bar.sync", "ld.shared.v4.f32", "!.local");
        AddTiled<MediumTile>("matmul float64 medium tile", "MatMulTiled", [d, typeof(MediumTile)], "bar.sync", "ld.shared.v2.f64");
        AddTiled<SmallTile>("matmul float32 small tile", "MatMulTiled", [f, typeof(SmallTile)], "bar.sync");
        AddTiled<LargeTile>("matmul float32 large tile, prefetching", "MatMulTiledPrefetch", [f, typeof(LargeTile)], "bar.sync", "ld.shared.v4.f32", "!.local");
        AddTiled<MediumTile>("matmul float64 medium tile, prefetching", "MatMulTiledPrefetch", [d, typeof(MediumTile)], "bar.sync", "ld.shared.v2.f64", "!.local");
        // 4×4 operations of the warp's 32×32 tile per 4 of depth; operands in 32-bit halves (InlinePtx), so no 64-bit local memory.
        AddTiled<TensorCoreTile>("matmul float64 tensor cores", "MatMulTensorCores", [typeof(TensorCoreTile)], "bar.sync", "mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64", "!st.local.f64", "!ld.local.f64");
        AddTiled<LargeTensorCoreTile>("matmul float64 tensor cores large tile", "MatMulTensorCores", [typeof(LargeTensorCoreTile)], "bar.sync", "mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64", "!st.local.f64", "!ld.local.f64");
        return cases;
    }

    [GeneratedRegex(@"^(\d+)([<>])?(.+)$")]
    private static partial Regex CountedInstruction();

    /// <summary>The unary operators an engine writes, as maps: transcendental functions and runtime parameters.</summary>
    private static IEnumerable<(string, Type)> Operators()
    {
        yield return ("exp", typeof(UnaryAsBinary<ExpOperator>));
        yield return ("log", typeof(UnaryAsBinary<LogOperator>));
        yield return ("sin", typeof(UnaryAsBinary<SinOperator>));
        yield return ("cos", typeof(UnaryAsBinary<CosOperator>));
        yield return ("tanh", typeof(UnaryAsBinary<TanhOperator>));
        yield return ("sigmoid", typeof(UnaryAsBinary<SigmoidOperator>));
        yield return ("relu", typeof(UnaryAsBinary<ReLUOperator>));
        yield return ("pow", typeof(UnaryAsBinary<TestPow>));
        yield return ("c - x", typeof(UnaryAsBinary<TestRsub>));
        yield return ("exp of scaled", typeof(UnaryAsBinary<Compose<ExpOperator, ScaleOperator>>));
        yield return ("relu backward then exp", typeof(Then<StepGradient, ExpOperator>));
    }
}
