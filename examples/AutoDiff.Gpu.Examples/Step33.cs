using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>Step 33: Newton's method on f(x) = x⁴ − 2x², the second derivative from a second backward pass.</summary>
internal static class Step33
{
    /// <summary>The book's number of iterations.</summary>
    public const int Iterations = 10;

    private static Variable F(Variable x) => Pow(x, 4) - (2 * Pow(x, 2));

    public static void Run(Device device, int iterations = Iterations)
    {
        var x = new Variable(device.Scalar(2.0));
        for (int i = 0; i < iterations; i++)
        {
            Console.WriteLine($"{i} {x}");
            var y = F(x);
            x.ClearGrad();
            y.Backward(createGraph: true);   // the backward pass is recorded: gx has a graph
            var gx = x.Grad!;
            x.ClearGrad();
            gx.Backward();
            var gx2 = x.Grad!;
            x.Data -= gx.Data / gx2.Data;
        }
    }
}
