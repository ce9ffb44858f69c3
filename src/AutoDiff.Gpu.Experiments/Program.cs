using System.CommandLine;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Experiments;

/// <summary>A request that cannot be run as asked (too large for the device); shown as <c>error: message</c>.</summary>
internal sealed class ExperimentException(string message) : Exception(message);

/// <summary>
/// The experiments program: the seed's mode-switch experiment (DeZero step 18) on a device, the device list,
/// the seed expression's graph and the seed's first example. See <see cref="CommandLine"/> and <c>--help</c>.
/// </summary>
internal static class Program
{
    /// <summary>Exit status when a result was wrong.</summary>
    public const int WrongResult = 1;

    /// <summary>Exit status of an error (bad option, unknown device, too large a size).</summary>
    public const int Error = 2;

    public static int Main(string[] args)
    {
        try
        {
            var (result, error) = new CommandLine().Parse(args);
            if (error is not null)
                return Fail(error);
            return result!.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OptionsException e)
        {
            return Fail(e.Message);
        }
        catch (ExperimentException e)
        {
            return Fail(e.Message);
        }
        catch (DeviceNotFoundException e)
        {
            return Fail(e.Message);
        }
        catch (DeviceOutOfMemoryException e)
        {
            return Fail(e.Message);
        }
        catch (ArgumentException e)
        {
            return Fail(Options.StripParameter(e));
        }
        catch (OutOfMemoryException e)
        {
            return Fail($"out of host memory: {e.Message}");
        }
        catch (IOException e)
        {
            return Fail(e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(e.Message);
        }
#pragma warning disable CA1031 // the program's promise: one line on standard error, never a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Fail($"{e.GetType().Name}: {e.Message}");
        }
    }

    private static int Fail(string reason)
    {
        Console.Error.WriteLine($"error: {reason.ReplaceLineEndings(" ").Trim()}");
        return Error;
    }

    /// <summary>The experiment: a row per mode, fusion and lifetime, timed in rounds; the chart when asked.</summary>
    internal static int Run(Options options)
    {
        using var device = Open(options.Device);
        if (options.GarbageBudget is long budget)
            device.Memory.GarbageBudget = budget;
        var shape = options.Shape;
        var modes = options.Modes;
        var widest = modes.MaxBy(SeedExperiment.BuffersNeeded);
        CheckFits(device, shape, options.DType, SeedExperiment.BuffersNeeded(widest), $"mode {Options.ModeName(widest)}");

        // Open the chart's file first: a bad path should fail before the run, not after it.
        using var svgFile = options.SvgPath is null ? null : CreateFile(options.SvgPath);

        var progress = new Progress(!options.Quiet);
        if (options.BallastBytes > 0)
            progress.Say($"holding {Units.Bytes(options.BallastBytes)} of small live objects (ballast)");
        var ballast = Ballast.Make(options.BallastBytes);

        var experiment = new SeedExperiment(device, shape, options.DType, progress);
        var results = SeedRounds.Run(experiment, options);
        GC.KeepAlive(ballast);

        var info = new RunInfo(
            device.Id, device.Name, shape, options.DType, options.Reps, options.Rounds, options.Warmup,
            options.BallastBytes, device.Memory.GarbageBudget);
        Report.WriteResults(Console.Out, options.Format, info, results);

        // With csv or json, standard output carries only the data.
        var notes = options.Format == OutputFormat.Table ? Console.Out : Console.Error;
        if (svgFile is not null)
        {
            using (var writer = new StreamWriter(svgFile))
                writer.Write(SvgChart.Render(info, results));
            notes.WriteLine($"memory chart: {svgFile.Name}");
        }

        int status = 0;
        foreach (var r in results.Where(r => !r.Passed))
        {
            Console.Error.WriteLine($"FAILED {r.Label}: {r.Check}");
            status = WrongResult;
        }
        return status;
    }

    /// <summary>Lists the devices present, with the matrix product each runs.</summary>
    internal static int Devices(OutputFormat format)
    {
        var devices = Device.List();
        Report.WriteDevices(Console.Out, format, devices, devices.Select(MatMulOf).ToList());
        return 0;
    }

    /// <summary>The matrix product a device runs (opened for the purpose), with the reason when cuBLAS is not used.</summary>
    private static string MatMulOf(DeviceInfo info)
    {
        try
        {
            using var device = Device.Open(info.Kind, info.Index);
            string units = device.MatMulImplementation == AutoDiff.Gpu.Kernels.MatMulImplementation.Tiled && device.Float64TensorCores ? ", float64 on the matrix units" : "";
            return device.CuBlasUnavailableReason is { } reason ? $"{device.MatMulImplementation} ({reason}){units}" : device.MatMulImplementation.ToString();
        }
        catch (Exception e) when (e is DeviceNotFoundException or InvalidOperationException or NotSupportedException)
        {
            return $"unknown ({e.Message})";
        }
    }

    /// <summary>The book's step 43: trains the two-layer network and reports its loss curve and time per iteration.</summary>
    internal static int Sine(SineOptions options)
    {
        using var device = Open(options.Device);
        using var svgFile = options.SvgPath is null ? null : CreateFile(options.SvgPath);
        var progress = new Progress(!options.Quiet);
        var result = SineExperiment.Run(device, options, progress);
        SineReport.Write(Console.Out, result);
        var notes = options.Format == OutputFormat.Table ? Console.Out : Console.Error;
        if (svgFile is not null)
        {
            using (var writer = new StreamWriter(svgFile))
                writer.Write(SineReport.Chart(result));
            notes.WriteLine($"loss chart: {svgFile.Name}");
        }
        var (passed, check) = result.Verdict();
        if (passed)
            return 0;
        Console.Error.WriteLine($"FAILED sine: {check}");
        return WrongResult;
    }

    /// <summary>Writes the seed expression's graph as DOT and, when Graphviz is present, as SVG.</summary>
    internal static int Graph(Options options)
    {
        using var device = Open(options.Device);
        var shape = options.Shape;
        CheckFits(device, shape, options.DType, SeedExperiment.BuffersNeeded(Mode.NoGrad), "the graph");

        string dot;
        using (TensorScope.Begin())
        {
            var x = new Variable(device.Ones(shape, options.DType), "x");
            var y = Square(Square(Square(x)));
            y.Name = "y";
            dot = DotGraph.ToDot(y);
        }

        string dotPath = options.GraphPath;
        WriteFile(dotPath, dot);
        Console.WriteLine($"graph (DOT): {Path.GetFullPath(dotPath)}");

        string svgPath = Path.ChangeExtension(dotPath, ".svg");
        if (DotGraph.FindGraphviz() is not null)
        {
            try
            {
                DotGraph.Render(dotPath, svgPath);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Error;
            }
            Console.WriteLine($"graph (SVG): {Path.GetFullPath(svgPath)}");
        }
        else
        {
            Console.WriteLine($"Graphviz's dot is not on PATH; render it with: dot -Tsvg {dotPath} -o {svgPath}");
        }
        return 0;
    }

    /// <summary>The seed's first example: y = x0 + (x0 + x1), then y.Backward().</summary>
    internal static int Seed(string? deviceId)
    {
        using var device = Open(deviceId);
        using (TensorScope.Begin())
        {
            var x0 = new Variable(device.Scalar(1.0));
            var x1 = new Variable(device.Scalar(1.0));
            var t = Add(x0, x1);
            var y = Add(x0, t);
            y.Backward();
            Console.WriteLine($"{Show(y.Grad?.Data)} {Show(t.Grad?.Data)}");
            Console.WriteLine($"{Show(x0.Grad?.Data)} {Show(x1.Grad?.Data)}");
        }
        return 0;
    }

    private static string Show(Tensor? t) => t?.ToString() ?? "None";

    /// <summary>Opens --device, or else the best device (or the one the environment variable names).</summary>
    private static Device Open(string? deviceId)
    {
        // Device.Best's errors name the environment variable and its value; Main prints them as they are.
        return deviceId is not null ? Device.Open(deviceId) : Device.Best();
    }

    /// <summary>
    /// Fails early, with the sizes, when <paramref name="buffers"/> tensors of <paramref name="shape"/> cannot
    /// fit in the device's memory (the machine's, for the CPU accelerator, which also needs a host copy to
    /// check a result).
    /// </summary>
    private static void CheckFits(Device device, Shape shape, DType dtype, int buffers, string purpose)
    {
        long data, block, need;
        try
        {
            data = checked(shape.Length * dtype.Size());
            block = DeviceMemory.RoundSize(data);
            need = checked(buffers * block);
            if (device.Kind == DeviceKind.Cpu)
                need = checked(need + data);
        }
        catch (OverflowException)
        {
            throw new ExperimentException($"{shape} {dtype.Name()} is too large: its byte count overflows");
        }

        bool cpu = device.Kind == DeviceKind.Cpu;
        long capacity = cpu ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : device.MemorySize;
        if (need > capacity)
        {
            string extra = cpu ? " plus a host copy to check the result" : string.Empty;
            throw new ExperimentException(
                $"{shape} {dtype.Name()} does not fit on {device.Id}: {purpose} needs about {Units.Bytes(need)} ({buffers} tensors of {Units.Bytes(block)}{extra}) but it has {Units.Bytes(capacity)}{(cpu ? " of host memory" : string.Empty)}; try a smaller --size");
        }
    }

    private static void WriteFile(string path, string text)
    {
        using var writer = new StreamWriter(CreateFile(path));
        writer.Write(text);
    }

    /// <summary>Creates (or truncates) <paramref name="path"/> and the folders above it.</summary>
    private static FileStream CreateFile(string path)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string? dir = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir))
                Directory.CreateDirectory(dir);
            return new FileStream(full, FileMode.Create, FileAccess.Write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ExperimentException($"cannot write {path}: {e.Message}");
        }
    }
}
