using AutoDiff.Gpu;
using AutoDiff.Gpu.Benchmarks;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Benchmarks of the engine. Every benchmark runs inside this process (BenchmarkDotNet's in-process
// toolchain), so a self-contained publish runs where no .NET SDK is installed.
//
//   AutoDiff.Gpu.Benchmarks [--quick] [BenchmarkDotNet options, e.g. --filter *Seed*]
//
// --quick: one launch, 2 warmup and 5 measured iterations of about 100 ms each (minutes for everything).
// BenchmarkDotNet's own --job (e.g. --job short) works too: it is then run in process as well.
// Without --filter every benchmark runs. AUTODIFF_DEVICE picks the device (cpu, cuda, opencl[:index]);
// AUTODIFF_BENCH_LARGE=1/0 includes or leaves out the 256M-element sizes (default: included on GPUs only);
// AUTODIFF_BENCH_BALLAST_MB=0,200 runs the lifetime benchmarks (seed, overhead) without and with 200 MB of
// small live managed objects (default 0). Ratio = natural / scoped within each category.
var rest = new List<string>(args);
bool quick = rest.Remove("--quick");
// A job named on the command line replaces the one below; BenchmarkDotNet runs it in process with --inProcess.
bool commandLineJob = rest.Exists(a => a is "--job" or "-j");
if (commandLineJob && !rest.Exists(a => a is "--inProcess" or "-i"))
    rest.Add("--inProcess");
if (!rest.Exists(a => a is "--filter" or "-f" or "--list" or "--help" or "-h" or "--version" or "--info"))
{
    rest.Add("--filter");
    rest.Add("*");
}

var job = quick
    ? Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(2)
        .WithIterationCount(5)
        .WithIterationTime(TimeInterval.FromMilliseconds(100))
        .WithId("Quick")
    : Job.Default.WithId("InProcess");
var config = ManualConfig.Create(DefaultConfig.Instance);
if (!commandLineJob)
    config = config.AddJob(job.WithToolchain(InProcessEmitToolchain.Instance));
config = config
    .AddColumn(StatisticColumn.Median, new ThroughputColumn(), new PoolCollectionsColumn())
    .AddDiagnoser(MemoryDiagnoser.Default);

var best = Environment.GetEnvironmentVariable(Device.EnvironmentVariable) is { Length: > 0 } spec ? spec : "best";
Console.WriteLine($"AutoDiff.Gpu benchmarks: device {best} ({BenchmarkEnvironment.Kind}); 256M sizes {(BenchmarkEnvironment.IncludeLarge ? "included" : "left out")}; ballast {string.Join(",", BenchmarkEnvironment.Ballasts())} MB; kernel grids of {string.Join(",", BenchmarkEnvironment.Waves())} waves; {Environment.ProcessorCount} cores; {(commandLineJob ? "command-line" : quick ? "quick" : "default")} job");
foreach (var info in Device.List())
    Console.WriteLine($"  present: {info}");

var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEnvironment).Assembly).Run([.. rest], config);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
