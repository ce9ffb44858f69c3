namespace AutoDiff.Gpu.Tests;

/// <summary>The cases of the kernel tests (shared by the element-type and layout bindings).</summary>
public static class KernelCases
{
    public static readonly string[] UnaryOperators = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "neg", "pow3", "sqrt-pow", "rsub", "scale", "compose"];

    public static readonly string[] BinaryOperators = ["plus", "sub", "mul", "div", "relu-backward", "flip-sub", "then-exp"];

    public static TheoryData<string, int> Unary() => Cross(UnaryOperators);

    public static TheoryData<string, int> Binary() => Cross(BinaryOperators);

    /// <summary>Pairs of operand shapes that broadcast: rows, columns, scalars, either side, outer products, ranks 3, 6 and 10 (past a strided launch's 8 dimensions).</summary>
    public static TheoryData<int[], int[]> Broadcasts() => new()
    {
        { [5, 8], [8] },
        { [7, 1000], [1000] },
        { [7, 6], [6] },
        { [3, 5], [1, 5] },
        { [1000, 7], [1000, 1] },
        { [6, 8], [6, 1] },
        { [3079], [] },
        { [4, 6], [1] },
        { [1], [7] },
        { [8], [5, 8] },
        { [5, 1], [5, 8] },
        { [5, 1], [1, 8] },
        { [2, 3, 4], [3, 1] },
        { [2, 3, 1, 5, 1, 4], [3, 2, 5, 6, 1] },
        { [250, 200], [200] },
        { [250, 200], [250, 1] },
        { [2, 1, 2, 1, 2, 1, 2, 1, 2, 1], [3, 1, 3, 1, 3, 1, 3, 1, 3] },
    };

    /// <summary>(outer, n, inner) views of reductions, each as planned and with the axis split into segments.</summary>
    public static TheoryData<long, long, long, int> ReduceShapes()
    {
        var data = new TheoryData<long, long, long, int>();
        long[][] shapes =
        [
            [1, 1, 1], [1, 7, 1], [1, 1000, 1], [1, 3079, 1], [1, 20_000, 1], [7, 1000, 1], [1000, 7, 1], [3, 3079, 1],
            [1, 1000, 7], [1, 7, 1000], [1, 3079, 3], [3, 7, 5], [2, 1000, 3], [2, 513, 8], [1, 5000, 12], [4, 0, 3], [5, 0, 1],
        ];
        foreach (var s in shapes)
        {
            // Parallelism 0: as planned for the accelerator; 64: forces the split into segments and the second pass.
            data.Add(s[0], s[1], s[2], 0);
            data.Add(s[0], s[1], s[2], 64);
        }
        return data;
    }

    private static TheoryData<string, int> Cross(string[] names)
    {
        var data = new TheoryData<string, int>();
        foreach (string name in names)
        {
            foreach (int n in KernelHost.Sizes)
                data.Add(name, n);
        }
        return data;
    }
}
