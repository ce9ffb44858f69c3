using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>
/// Step 46: step 43's regression with DeZero's MLP and an SGD optimizer. DeZero keeps W and b in float32 and computes
/// in float64; here all is float64, so the losses drift from the book's in the 4th digit over 10,000 iterations.
/// </summary>
internal static class Step46
{
    /// <summary>The book's number of iterations.</summary>
    public const int Iterations = 10_000;

    public static void Run(Device device, int iterations = Iterations)
    {
        var random = new NumPyRandom(0);
        var (x, y) = Step43.SineData(device, random);

        const double lr = 0.2;
        const int hiddenSize = 10;
        var model = new Mlp([hiddenSize, 1]);
        var optimizer = new Sgd(lr).Setup(model);
        using (Config.NoGrad())
            model.Call(x);                             // DeZero makes the weights on the first call
        NumPyWeights.Set(model, random, "l0/W", "l1/W");

        for (int i = 0; i < iterations; i++)
        {
            var yPred = model.Call(x);
            var loss = MeanSquaredError(y, yPred);
            model.ClearGrads();
            loss.Backward();
            optimizer.Update();
            if (i % 1000 == 0)
                Console.WriteLine(loss);
        }
    }
}
