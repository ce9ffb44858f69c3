namespace AutoDiff.Gpu.Examples;

/// <summary>
/// The book's steps as programs: <c>dotnet run -c Release --project examples/AutoDiff.Gpu.Examples -- STEP [N]</c>
/// runs step STEP (24, 28, 33, 35, 42, 43, 46, 48, 53, 59) on the best device present, for N iterations or epochs
/// instead of the book's number.
/// </summary>
internal static class Program
{
    /// <summary>Each step with what it shows and how it runs for a number of iterations (null: the book's).</summary>
    public static readonly IReadOnlyDictionary<int, (string Title, Action<Device, int?> Run)> Steps =
        new Dictionary<int, (string, Action<Device, int?>)>
        {
            [24] = ("gradients of the sphere, Matyas and Goldstein–Price functions", (d, _) => Step24.Run(d)),
            [28] = ("gradient descent on the Rosenbrock function", (d, n) => Step28.Run(d, n ?? Step28.Iterations)),
            [33] = ("Newton's method with a second derivative", (d, n) => Step33.Run(d, n ?? Step33.Iterations)),
            [35] = ("higher derivatives of tanh and their graph", (d, n) => Step35.Run(d, n ?? Step35.Iterations)),
            [42] = ("linear regression", (d, n) => Step42.Run(d, n ?? Step42.Iterations)),
            [43] = ("a two-layer network on sine data", (d, n) => Step43.Run(d, n ?? Step43.Iterations)),
            [46] = ("MLP and SGD on sine data", (d, n) => Step46.Run(d, n ?? Step46.Iterations)),
            [48] = ("spiral classification in minibatches", (d, n) => Step48.Run(d, n ?? Step48.Epochs)),
            [53] = ("training on the device, weights saved and loaded", (d, n) => Step53.Run(d, n ?? Step53.Epochs)),
            [59] = ("a recurrent network on a sine curve", (d, n) => Step59.Run(d, n ?? Step59.Epochs)),
        };

    public static int Main(string[] args)
    {
        int? iterations = args.Length == 2 && int.TryParse(args[1], out int n) && n > 0 ? n : null;
        if (args.Length is < 1 or > 2 || (args.Length == 2 && iterations is null)
            || !int.TryParse(args[0], out int step) || !Steps.TryGetValue(step, out var example))
        {
            Console.Error.WriteLine("usage: AutoDiff.Gpu.Examples STEP [ITERATIONS]; steps:");
            foreach (var (number, (title, _)) in Steps)
                Console.Error.WriteLine($"  {number}  {title}");
            return 2;
        }
        using var device = Device.Best();
        example.Run(device, iterations);
        return 0;
    }
}
