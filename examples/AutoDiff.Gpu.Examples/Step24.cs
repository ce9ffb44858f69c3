using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Examples;

/// <summary>Step 24: the gradients of three test functions of optimization at (1, 1).</summary>
internal static class Step24
{
    private static Variable Sphere(Variable x, Variable y) => Pow(x, 2) + Pow(y, 2);

    private static Variable Matyas(Variable x, Variable y) => (0.26 * (Pow(x, 2) + Pow(y, 2))) - (0.48 * x * y);

    private static Variable Goldstein(Variable x, Variable y) =>
        (1 + (Pow(x + y + 1, 2) * (19 - (14 * x) + (3 * Pow(x, 2)) - (14 * y) + (6 * x * y) + (3 * Pow(y, 2)))))
        * (30 + (Pow((2 * x) - (3 * y), 2)
                 * (18 - (32 * x) + (12 * Pow(x, 2)) + (48 * y) - (36 * x * y) + (27 * Pow(y, 2)))));

    public static void Run(Device device)
    {
        var functions = new (string Name, Func<Variable, Variable, Variable> F)[]
        {
            ("sphere", Sphere), ("matyas", Matyas), ("goldstein", Goldstein),
        };
        foreach (var (name, f) in functions)
        {
            var x = new Variable(device.Scalar(1.0));
            var y = new Variable(device.Scalar(1.0));
            var z = f(x, y);
            z.Backward();
            Console.WriteLine($"{name} {x.Grad} {y.Grad}");
        }
    }
}
