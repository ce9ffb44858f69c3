using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>
/// Steps 52–53: training on the best device present (the book's <c>to_gpu</c>: here every tensor is on the device
/// from the start), with the weights saved after training and loaded at the next start, as DeZero's
/// <c>save_weights</c> and <c>load_weights</c> (NumPy's <c>.npz</c>). The book trains on MNIST (<c>Mnist.Load</c>
/// reads its files from disk); this example trains step 48's spiral data, which needs no files, through a
/// <c>DataLoader</c> that gathers minibatches on the device.
/// </summary>
internal static class Step53
{
    /// <summary>The book's number of epochs.</summary>
    public const int Epochs = 3;

    public static void Run(Device device, int epochs = Epochs, string path = "my_mlp.npz")
    {
        const int batchSize = 30;
        device.Random.ManualSeed(0);
        var (_, x, t) = Step48.GetSpiral(device);
        var loader = new Data.DataLoader(x.Data, t, batchSize, seed: 0);
        var model = new Mlp([10, 3]);
        var optimizer = new Sgd(lr: 1.0).Setup(model);
        using (Config.NoGrad())
            model.Call(x);              // makes the weights, so that a file can replace them
        if (File.Exists(path))
            model.LoadWeights(path);

        for (int epoch = 0; epoch < epochs; epoch++)
        {
            double sumLoss = 0;
            foreach (var batch in loader)
            {
                var y = model.Call(batch.X);
                var loss = SoftmaxCrossEntropy(y, batch.Labels!);
                model.ClearGrads();
                loss.Backward();
                optimizer.Update();
                sumLoss += loss.Item() * batch.Labels!.Length;
            }
            Console.WriteLine($"epoch: {epoch + 1}, loss: {sumLoss / t.Length:F4}");
        }
        model.SaveWeights(path);
    }
}
