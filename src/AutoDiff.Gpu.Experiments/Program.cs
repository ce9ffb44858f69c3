using System.Diagnostics;
using AutoDiff.Gpu;
using static AutoDiff.Gpu.F;

using var device = Device.Best();
Console.WriteLine(device);
var x0 = new Variable(device.Scalar(1.0));
var x1 = new Variable(device.Scalar(1.0));
var t = Add(x0, x1);
var y = Add(x0, t);
y.Backward();
Console.WriteLine($"{y.Grad?.ToString() ?? "None"} {t.Grad?.ToString() ?? "None"}");
Console.WriteLine($"{x0.Grad} {x1.Grad}");
for (int r = 0; r < 5; r++)
{
    device.Memory.ResetPeak();
    var sw = Stopwatch.StartNew();
    var x = new Variable(device.Ones(100, 100, 100));
    var z = Square(Square(Square(x)));
    z.Backward();
    var g = x.Grad!.ToArray<float>();
    Console.WriteLine($"{sw.Elapsed.TotalMilliseconds:F2} ms grad[0]={g[0]} peak={device.Memory.PeakAllocatedBytes / 4194304.0} bufs");
}
