using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>Step 42: linear regression y = x·W + b by gradient descent on NumPy's toy data (seed 0).</summary>
internal static class Step42
{
    /// <summary>The book's number of iterations.</summary>
    public const int Iterations = 100;

    private static Variable MeanSquaredError(Variable x0, Variable x1)
    {
        var diff = x0 - x1;
        return Sum(Pow(diff, 2)) / diff.Shape[0];
    }

    public static void Run(Device device, int iterations = Iterations)
    {
        var random = new NumPyRandom(0);
        var xs = random.Rand(100);
        var noise = random.Rand(100);
        var x = new Variable(device.FromArray(xs, 100, 1));
        var y = new Variable(device.FromArray(xs.Select((v, i) => 5 + (2 * v) + noise[i]).ToArray(), 100, 1));

        var W = new Variable(device.Zeros(new Shape(1, 1), DType.Float64));
        var b = new Variable(device.Zeros(new Shape(1), DType.Float64));
        Variable Predict(Variable x) => MatMul(x, W) + b;

        const double lr = 0.1;
        for (int i = 0; i < iterations; i++)
        {
            var yPred = Predict(x);
            var loss = MeanSquaredError(y, yPred);
            W.ClearGrad();
            b.ClearGrad();
            loss.Backward();
            W.Data -= lr * W.Grad!.Data;
            b.Data -= lr * b.Grad!.Data;
            Console.WriteLine($"{W} {b} {loss}");
        }
    }
}
