using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The book's step 43 on one device: a two-layer network <c>y = linear(sigmoid(linear(x, W1, b1)), W2, b2)</c>
/// (1 input, 10 sigmoid units, 1 output) fitted to <c>y = sin(2πx) + noise</c> on 100 points by plain gradient
/// descent on the mean squared error, from the data and initial weights of <see cref="SineData"/> (NumPy's
/// seed 0, as the baselines). Linked into the tests and the benchmarks, so that all three run the same loop.
/// </summary>
internal sealed class SineModel
{
    /// <summary>The book's learning rate.</summary>
    public const double DefaultLearningRate = 0.2;

    /// <summary>The book's number of iterations.</summary>
    public const int BookIterations = 10_000;

    /// <summary>The book's threshold: the fit is good once the loss is below it (NumPy reaches 0.076987).</summary>
    public const double Threshold = 0.1;

    /// <summary>
    /// Largest relative difference from NumPy's float64 losses (<see cref="SineData.ReferenceLosses"/>) allowed in
    /// float64: the data and the loop are the same, only the order of additions differs (1e-14 seen).
    /// </summary>
    public const double Float64Tolerance = 1e-9;

    private readonly Sgd optimizer;
    private readonly Variable[] parameters;

    /// <summary>Puts the data and the initial parameters on <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    public SineModel(Device device, DType dtype, double learningRate = DefaultLearningRate)
    {
        ArgumentNullException.ThrowIfNull(device);
        int n = SineData.X.Length, hidden = SineData.W1.Length;
        X = new Variable(Load(device, SineData.X, new Shape(n, 1), dtype), "x");
        Y = new Variable(Load(device, SineData.Y, new Shape(n, 1), dtype), "y");
        W1 = new Variable(Load(device, SineData.W1, new Shape(1, hidden), dtype), "W1");
        B1 = new Variable(device.Zeros(new Shape(hidden), dtype), "b1");
        W2 = new Variable(Load(device, SineData.W2, new Shape(hidden, 1), dtype), "W2");
        B2 = new Variable(device.Zeros(new Shape(1), dtype), "b2");
        parameters = [W1, B1, W2, B2];
        optimizer = new Sgd(learningRate);
    }

    /// <summary>The inputs (100, 1).</summary>
    public Variable X { get; }

    /// <summary>The targets (100, 1).</summary>
    public Variable Y { get; }

    /// <summary>The first layer's weights (1, 10).</summary>
    public Variable W1 { get; }

    /// <summary>The first layer's bias (10,).</summary>
    public Variable B1 { get; }

    /// <summary>The second layer's weights (10, 1).</summary>
    public Variable W2 { get; }

    /// <summary>The second layer's bias (1,).</summary>
    public Variable B2 { get; }

    /// <summary>The network's prediction for <paramref name="x"/> (N, 1).</summary>
    public Variable Predict(Variable x) => Linear(Sigmoid(Linear(x, W1, B1)), W2, B2);

    /// <summary>
    /// One iteration of the book's loop: the loss of the prediction, gradients cleared, backward, every parameter
    /// moved by −lr·grad. Returns the loss (computed before the update; reading it waits for the device).
    /// </summary>
    public Variable Step()
    {
        var loss = MeanSquaredError(Y, Predict(X));
        foreach (var p in parameters)
            p.ClearGrad();
        // DeZero wraps x and y in new variables each iteration: their gradients start from nothing too.
        X.ClearGrad();
        Y.ClearGrad();
        loss.Backward();
        optimizer.Update(parameters);
        return loss;
    }

    private static Tensor Load(Device device, double[] values, Shape shape, DType dtype) =>
        dtype == DType.Float64 ? device.FromArray(values, shape) : device.FromArray(Array.ConvertAll(values, v => (float)v), shape);
}
