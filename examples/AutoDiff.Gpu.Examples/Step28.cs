using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>Step 28: gradient descent on the Rosenbrock function from (0, 2); its minimum is at (1, 1).</summary>
internal static class Step28
{
    /// <summary>The book's number of iterations.</summary>
    public const int Iterations = 1000;

    private static Variable Rosenbrock(Variable x0, Variable x1) => (100 * Pow(x1 - Pow(x0, 2), 2)) + Pow(x0 - 1, 2);

    public static void Run(Device device, int iterations = Iterations)
    {
        var x0 = new Variable(device.Scalar(0.0));
        var x1 = new Variable(device.Scalar(2.0));
        const double lr = 0.001;
        for (int i = 0; i < iterations; i++)
        {
            Console.WriteLine($"{x0} {x1}");
            var y = Rosenbrock(x0, x1);
            x0.ClearGrad();
            x1.ClearGrad();
            y.Backward();
            // DeZero's x0.data -= lr * x0.grad.data: tensor arithmetic records no graph.
            x0.Data -= lr * x0.Grad!.Data;
            x1.Data -= lr * x1.Grad!.Data;
        }
    }
}
