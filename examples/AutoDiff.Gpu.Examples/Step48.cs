using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>Step 48: the spiral data set classified by an MLP, minibatches of 30, SGD at lr 1.0.</summary>
internal static class Step48
{
    /// <summary>The book's number of epochs.</summary>
    public const int Epochs = 300;

    public static void Run(Device device, int epochs = Epochs)
    {
        const int batchSize = 30, hiddenSize = 10;
        const double lr = 1.0;
        var (random, x, t) = GetSpiral(device);
        var model = new Mlp([hiddenSize, 3]);
        var optimizer = new Sgd(lr).Setup(model);

        int dataSize = t.Length;
        int maxIter = (dataSize + batchSize - 1) / batchSize;
        var index = random.Permutation(dataSize);     // DeZero draws epoch 1's order before the weights
        using (Config.NoGrad())
            model.Call(x);                             // DeZero makes the weights on the first call
        NumPyWeights.Set(model, random, "l0/W", "l1/W");
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            if (epoch > 0)
                index = random.Permutation(dataSize);
            double sumLoss = 0;
            for (int i = 0; i < maxIter; i++)
            {
                var batchIndex = index[(i * batchSize)..Math.Min((i + 1) * batchSize, dataSize)];
                var batchX = Take(x, batchIndex);
                var batchT = Array.ConvertAll(batchIndex, k => t[k]);

                var y = model.Call(batchX);
                var loss = SoftmaxCrossEntropy(y, batchT);
                model.ClearGrads();
                loss.Backward();
                optimizer.Update();
                sumLoss += loss.Item() * batchT.Length;
            }
            double avgLoss = sumLoss / dataSize;
            Console.WriteLine($"epoch {epoch + 1}, loss {avgLoss:F2}");
        }
    }

    /// <summary>
    /// DeZero's <c>get_spiral(train=True)</c> with NumPy's draws (seed 1984): 300 points (float32) and their arms, and
    /// the generator, whose state the training loop goes on from, as DeZero's global one.
    /// </summary>
    public static (NumPyRandom Random, Variable X, int[] T) GetSpiral(Device device)
    {
        const int numData = 100, numClass = 3, inputDim = 2;
        var random = new NumPyRandom(1984);
        var x = new float[numData * numClass * inputDim];
        var t = new int[numData * numClass];
        for (int j = 0; j < numClass; j++)
        {
            for (int i = 0; i < numData; i++)
            {
                double rate = i / (double)numData;
                double radius = 1.0 * rate;
                double theta = (j * 4.0) + (4.0 * rate) + (random.Randn() * 0.2);
                int ix = (numData * j) + i;
                x[ix * inputDim] = (float)(radius * Math.Sin(theta));
                x[(ix * inputDim) + 1] = (float)(radius * Math.Cos(theta));
                t[ix] = j;
            }
        }
        var indices = random.Permutation(numData * numClass);
        var shuffled = indices.SelectMany(k => new[] { x[k * inputDim], x[(k * inputDim) + 1] }).ToArray();
        var points = new Variable(device.FromArray(shuffled, indices.Length, inputDim));
        return (random, points, Array.ConvertAll(indices, k => t[k]));
    }
}
