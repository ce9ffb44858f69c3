using System.Diagnostics;
using System.Globalization;
using AutoDiff.Gpu.Compare;

// Times one case of AutoDiff.Gpu.Compare.Cases on two builds of the engine in one process, batch by batch in
// turn, so that both see the same machine; a shared machine's speed changes over seconds, which separate runs
// mistake for differences between the builds. scripts/compare-builds.sh builds both and calls this.
//
//   AutoDiff.Gpu.Compare BASE_CASES_DLL HEAD_CASES_DLL CASE [SECONDS (30)] [BATCH]
//
// BATCH, the runs of a batch, is by default what takes about 0.2 ms on the base build: the closer in time the
// two builds run, the less the machine changes between them.
if (args.Length is < 3 or > 5)
{
    Console.Error.WriteLine("usage: AutoDiff.Gpu.Compare BASE_CASES_DLL HEAD_CASES_DLL CASE [SECONDS] [BATCH]");
    return 2;
}
var first = Build.Load(args[0]);
var second = Build.Load(args[1]);
string name = args[2];
double seconds = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 30;
int batch = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 0;
if (batch <= 0)
{
    // The first runs compile: time ten more after them.
    second(name, 1);
    first(name, 1);
    batch = (int)Math.Clamp(200 / first(name, 10), 1, 10_000);
}

// The first third warms both up (JIT tiers, pools) and is not counted.
var a = new List<double>();
var b = new List<double>();
var ratios = new List<double>();
var clock = Stopwatch.StartNew();
for (bool swap = false; clock.Elapsed.TotalSeconds < seconds; swap = !swap)
{
    double x, y;
    if (swap)
    {
        y = second(name, batch);
        x = first(name, batch);
    }
    else
    {
        x = first(name, batch);
        y = second(name, batch);
    }
    if (clock.Elapsed.TotalSeconds < seconds / 3)
        continue;
    a.Add(x);
    b.Add(y);
    ratios.Add(x / y);
}
if (ratios.Count == 0)
{
    Console.Error.WriteLine($"no batch finished after the warm-up: give more than {seconds} s or a smaller batch");
    return 1;
}
Console.WriteLine($"{name}: {ratios.Count} pairs of batches of {batch} after {seconds / 3:F0} s of warm-up");
Console.WriteLine($"base  median {Quantile(a, 0.5):F2} µs  p10 {Quantile(a, 0.1):F2} µs");
Console.WriteLine($"head  median {Quantile(b, 0.5):F2} µs  p10 {Quantile(b, 0.1):F2} µs");
Console.WriteLine(
    $"base / head  median {Quantile(ratios, 0.5):F3}  "
    + $"quartiles {Quantile(ratios, 0.25):F3}–{Quantile(ratios, 0.75):F3}");
return 0;

static double Quantile(List<double> values, double q)
{
    var sorted = values.Order().ToList();
    return sorted[(int)Math.Round(q * (sorted.Count - 1))];
}
