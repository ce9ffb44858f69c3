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

    /// <summary>
    /// (1, n, 1) and (rows, n, 1) views of the CPU reductions: lengths below, at and above each threshold, odd ones
    /// included.
    /// </summary>
    public static TheoryData<long, long, long> ReduceAllAndLastAxis()
    {
        var data = new TheoryData<long, long, long>();
        long[] lengths =
        [
            1, 2, 7, 8, 9, 31, 33, 511, 512, 513, 1023, 1025, 1537, 4095, 4097, 8193,
            32767, 32768, 32769, 65537, 262_145, (1 << 20) + 17, (3 << 20) + 5,
        ];
        foreach (long n in lengths)
            data.Add(1, n, 1);
        foreach (long n in (long[])[513, 4097, 32769, 262_145])
        {
            data.Add(3, n, 1);
            data.Add(17, n, 1);
        }
        data.Add(40_000, 3, 1);
        return data;
    }

    /// <summary>
    /// (outer, n, inner) views over a first or middle axis of the CPU reductions: columns across the block width and
    /// rows across the segments.
    /// </summary>
    public static TheoryData<long, long, long> ReduceFirstAxis() => new()
    {
        { 1, 1, 1025 }, { 1, 7, 1023 }, { 1, 7, 1024 }, { 1, 33, 2049 }, { 1, 1025, 7 }, { 1, 4097, 9 },
        { 1, 40_000, 9 }, { 1, 3000, 1025 }, { 2, 2049, 515 }, { 5, 1023, 17 }, { 1, 70_001, 3 },
    };

    /// <summary>(outer, n, inner) of the signed-zero reductions: long rows, short rows of several columns.</summary>
    public static TheoryData<long, long, long> SignedZeroShapes() => new() { { 2, 3079, 1 }, { 3, 100, 9 }, { 1, 1000, 4 } };

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
