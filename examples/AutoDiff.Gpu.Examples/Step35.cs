using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>
/// Step 35: higher derivatives of tanh at x = 1, and the graph of the last one in Graphviz's DOT language (the book
/// draws it as tanh.png; <c>DotGraph.Plot</c> does so where Graphviz is installed).
/// </summary>
internal static class Step35
{
    /// <summary>The book's number of extra backward passes (1: the second derivative).</summary>
    public const int Iterations = 1;

    public static void Run(Device device, int iterations = Iterations, string path = "tanh.dot")
    {
        var x = new Variable(device.Scalar(1.0), "x");
        var y = Tanh(x);
        y.Name = "y";
        y.Backward(createGraph: true);
        Console.WriteLine($"gx1 {x.Grad}");
        for (int i = 0; i < iterations; i++)
        {
            var gx = x.Grad!;
            x.ClearGrad();
            gx.Backward(createGraph: true);
            Console.WriteLine($"gx{i + 2} {x.Grad}");
        }
        var last = x.Grad!;
        last.Name = $"gx{iterations + 1}";
        string dot = DotGraph.ToDot(last, verbose: false);
        File.WriteAllText(path, dot);
        Console.WriteLine($"{path}: the graph of {last.Name}");
    }
}
