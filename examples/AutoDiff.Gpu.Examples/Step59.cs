using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>
/// Step 59: a recurrent network that predicts the next value of a noisy sine wave, trained by truncated
/// backpropagation through time (stretches of 30 steps) with Adam. DeZero's SinCurve draws unseeded noise; here
/// NumPy's seed 0 draws it. DeZero keeps the weights in float32; here all is float64.
/// </summary>
internal static class Step59
{
    /// <summary>The book's number of epochs.</summary>
    public const int Epochs = 100;

    /// <summary>DeZero's model: an RNN layer and a linear output, found in the fields.</summary>
    private sealed class SimpleRnn(int hiddenSize, int outSize) : Layer
    {
        private readonly Rnn rnn = new(hiddenSize);
        private readonly Linear fc = new(outSize);

        public void ResetState() => rnn.ResetState();

        protected override Variable Forward(Variable[] inputs) => fc.Call(rnn.Call(inputs[0]));
    }

    public static void Run(Device device, int epochs = Epochs)
    {
        const int hiddenSize = 100, bpttLength = 30;
        var random = new NumPyRandom(0);
        var (xs, ts) = SinCurve(random);
        int seqlen = xs.Length;
        var model = new SimpleRnn(hiddenSize, 1);
        var optimizer = new Adam().Setup(model);
        using (Config.NoGrad())
        {
            // DeZero makes x2h's and fc's weights on the first call, h2h's on the second.
            model.Call(new Variable(device.FromArray([xs[0]], 1, 1)));
            model.Call(new Variable(device.FromArray([xs[1]], 1, 1)));
        }
        NumPyWeights.Set(model, random, "rnn/x2h/W", "fc/W", "rnn/h2h/W");

        for (int epoch = 0; epoch < epochs; epoch++)
        {
            model.ResetState();
            Variable? loss = null;
            int count = 0;
            for (int k = 0; k < seqlen; k++)
            {
                var x = new Variable(device.FromArray([xs[k]], 1, 1));
                var t = new Variable(device.FromArray([ts[k]], 1, 1));
                var y = model.Call(x);
                loss = loss is null ? MeanSquaredError(y, t) : loss + MeanSquaredError(y, t);
                count++;
                if (count % bpttLength == 0 || count == seqlen)
                {
                    model.ClearGrads();
                    loss.Backward();
                    loss.UnchainBackward();
                    optimizer.Update();
                }
            }
            double avgLoss = loss!.Item() / count;
            Console.WriteLine($"| epoch {epoch + 1} | loss {avgLoss:F6}");
        }
    }

    /// <summary>
    /// DeZero's <c>SinCurve(train=True)</c>: sin over 1,000 points of [0, 2π] plus uniform noise in ±0.05 (NumPy's
    /// draws from <paramref name="random"/>); inputs are values 0 … 998, targets values 1 … 999.
    /// </summary>
    public static (double[] X, double[] T) SinCurve(NumPyRandom random)
    {
        const int numData = 1000;
        var noise = random.Uniform(-0.05, 0.05, numData);
        double step = 2 * Math.PI / (numData - 1);   // np.linspace(0, 2π, 1000)
        var y = Enumerable.Range(0, numData)
            .Select(i => Math.Sin(i == numData - 1 ? 2 * Math.PI : i * step) + noise[i])
            .ToArray();
        return (y[..^1], y[1..]);
    }
}
