using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>Step 43: a two-layer network fitted to y = sin(2πx) + noise by gradient descent (NumPy's data).</summary>
internal static class Step43
{
    /// <summary>The book's number of iterations.</summary>
    public const int Iterations = 10_000;

    public static void Run(Device device, int iterations = Iterations)
    {
        var random = new NumPyRandom(0);
        var (x, y) = SineData(device, random);

        const int I = 1, H = 10, O = 1;
        var W1 = new Variable(device.FromArray(random.Randn(I * H).Select(v => 0.01 * v).ToArray(), I, H));
        var b1 = new Variable(device.Zeros(new Shape(H), DType.Float64));
        var W2 = new Variable(device.FromArray(random.Randn(H * O).Select(v => 0.01 * v).ToArray(), H, O));
        var b2 = new Variable(device.Zeros(new Shape(O), DType.Float64));
        Variable Predict(Variable x) => Linear(Sigmoid(Linear(x, W1, b1)), W2, b2);

        const double lr = 0.2;
        for (int i = 0; i < iterations; i++)
        {
            var yPred = Predict(x);
            var loss = MeanSquaredError(y, yPred);
            W1.ClearGrad();
            b1.ClearGrad();
            W2.ClearGrad();
            b2.ClearGrad();
            loss.Backward();
            W1.Data -= lr * W1.Grad!.Data;
            b1.Data -= lr * b1.Grad!.Data;
            W2.Data -= lr * W2.Grad!.Data;
            b2.Data -= lr * b2.Grad!.Data;
            if (i % 1000 == 0)
                Console.WriteLine(loss);
        }
    }

    /// <summary>The book's data: x = rand(100, 1), y = sin(2πx) + rand(100, 1), both float64.</summary>
    public static (Variable X, Variable Y) SineData(Device device, NumPyRandom random)
    {
        var x = random.Rand(100);
        var noise = random.Rand(100);
        var y = x.Select((v, i) => Math.Sin(2 * Math.PI * v) + noise[i]).ToArray();
        return (new Variable(device.FromArray(x, 100, 1)), new Variable(device.FromArray(y, 100, 1)));
    }
}
