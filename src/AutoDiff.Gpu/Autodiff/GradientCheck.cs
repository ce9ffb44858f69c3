namespace AutoDiff.Gpu;

/// <summary>How <see cref="GradientCheck.Run"/> compares.</summary>
/// <param name="Epsilon">The step of the central differences (on float64 copies of the inputs).</param>
/// <param name="RelativeTolerance">Allowed error relative to the numerical value (DeZero's <c>rtol</c>).</param>
/// <param name="AbsoluteTolerance">Allowed absolute error (DeZero's <c>atol</c>).</param>
/// <param name="FullJacobianLimit">
/// Inputs of at most this many elements in all are checked element by element (two evaluations per element);
/// larger ones along random directions (two evaluations per direction), as PyTorch's fast gradcheck does.
/// </param>
/// <param name="Directions">Random directions checked for large inputs.</param>
/// <param name="Seed">Seed of the random output weights and directions.</param>
public sealed record GradientCheckOptions(
    double Epsilon = 1e-6,
    double RelativeTolerance = 1e-4,
    double AbsoluteTolerance = 1e-5,
    long FullJacobianLimit = 64,
    int Directions = 3,
    int Seed = 1)
{
    /// <summary>Tolerances suited to float32 gradients (about 7 significant digits).</summary>
    public static GradientCheckOptions Float32 { get; } = new(RelativeTolerance: 2e-3, AbsoluteTolerance: 2e-4);
}

/// <summary>What <see cref="GradientCheck.Run"/> found.</summary>
/// <param name="Passed">True when every compared value is within tolerance.</param>
/// <param name="MaxAbsoluteError">The largest |analytic − numerical|.</param>
/// <param name="Detail">The worst comparison, for a failure message.</param>
public sealed record GradientCheckResult(bool Passed, double MaxAbsoluteError, string Detail);

/// <summary>
/// Compares the gradients <see cref="Variable.Backward(bool, bool)"/> computes with central differences in float64, as
/// DeZero's <c>gradient_check</c>. The scalar differentiated is Σ w·f(x) with random weights w, so an error
/// in any element of the output shows. The function must work on float64 inputs (every built-in function does):
/// the differences are taken on float64 copies of the inputs, whatever their type.
/// </summary>
public static class GradientCheck
{
    /// <summary>Checks the gradients of <paramref name="f"/> with respect to every input.</summary>
    public static GradientCheckResult Run(Func<Variable[], Variable> f, Variable[] inputs, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        var o = options ?? new GradientCheckOptions();
        var random = new Random(o.Seed);

        // Analytic: backward from Σ w·y.
        foreach (var x in inputs)
            x.ClearGrad();
        var y = f(inputs);
        var weights = RandomValues(random, y.Size);
        y.Grad = new Variable(FromHost(y.Device, weights, y.Shape, y.DType));
        y.Backward();
        var analytic = Array.ConvertAll(inputs, x => x.GradInternal?.ToDoubleArray() ?? new double[x.Size]);

        var values = Array.ConvertAll(inputs, x => x.ToDoubleArray());
        double Objective(double[][] at)
        {
            using (Config.NoGrad())
            {
                var vars = new Variable[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                    vars[i] = new Variable(FromHost(inputs[i].Device, at[i], inputs[i].Shape, DType.Float64));
                var output = f(vars).ToDoubleArray();
                double sum = 0;
                for (int j = 0; j < output.Length; j++)
                    sum += weights[j] * output[j];
                return sum;
            }
        }

        var worst = (Error: 0.0, Excess: double.NegativeInfinity, Detail: "no values compared");
        void Compare(double a, double numeric, string where)
        {
            double error = Math.Abs(a - numeric);
            double excess = error - (o.AbsoluteTolerance + (o.RelativeTolerance * Math.Abs(numeric)));
            if (double.IsNaN(error))
                excess = double.PositiveInfinity;
            if (excess > worst.Excess)
                worst = (error, excess, $"{where}: backward gave {a:R}, central differences {numeric:R} (|error| {error:G3})");
        }

        long total = inputs.Sum(x => x.Size);
        if (total <= o.FullJacobianLimit)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                for (int j = 0; j < values[i].Length; j++)
                {
                    double keep = values[i][j];
                    values[i][j] = keep + o.Epsilon;
                    double plus = Objective(values);
                    values[i][j] = keep - o.Epsilon;
                    double minus = Objective(values);
                    values[i][j] = keep;
                    Compare(analytic[i][j], (plus - minus) / (2 * o.Epsilon), $"input {i} {inputs[i].Shape}, element {j}");
                }
            }
        }
        else
        {
            for (int k = 0; k < o.Directions; k++)
            {
                var direction = Array.ConvertAll(values, v => RandomValues(random, v.Length));
                double along = 0;
                for (int i = 0; i < inputs.Length; i++)
                {
                    for (int j = 0; j < values[i].Length; j++)
                        along += analytic[i][j] * direction[i][j];
                }
                double plus = Objective(Shifted(values, direction, o.Epsilon));
                double minus = Objective(Shifted(values, direction, -o.Epsilon));
                Compare(along, (plus - minus) / (2 * o.Epsilon), $"random direction {k}");
            }
        }
        return new GradientCheckResult(worst.Excess <= 0, worst.Error, worst.Detail);
    }

    private static double[] RandomValues(Random random, long count)
    {
        var values = new double[count];
        for (long i = 0; i < count; i++)
            values[i] = (random.NextDouble() * 2) - 1;
        return values;
    }

    private static double[][] Shifted(double[][] values, double[][] direction, double step)
    {
        var result = new double[values.Length][];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = new double[values[i].Length];
            for (int j = 0; j < values[i].Length; j++)
                result[i][j] = values[i][j] + (step * direction[i][j]);
        }
        return result;
    }

    private static Tensor FromHost(Device device, double[] values, Shape shape, DType dtype) =>
        dtype == DType.Float64
            ? device.FromArray(values, shape)
            : device.FromArray(Array.ConvertAll(values, v => (float)v), shape);
}
