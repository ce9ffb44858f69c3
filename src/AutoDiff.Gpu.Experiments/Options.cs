using System.Globalization;

namespace AutoDiff.Gpu.Experiments;

/// <summary>What the program does.</summary>
internal enum Command
{
    /// <summary>The seed's mode-switch experiment (the default).</summary>
    Run,

    /// <summary>List the devices present.</summary>
    Devices,

    /// <summary>Write the seed expression's graph as Graphviz DOT.</summary>
    Graph,

    /// <summary>Print the seed's first example.</summary>
    Seed,

    /// <summary>Print the help text.</summary>
    Help,
}

/// <summary>The three modes of the seed's mode-switch experiment.</summary>
internal enum Mode
{
    /// <summary>Backprop on, then <c>y.Backward()</c>: intermediate gradients are dropped as soon as they are used.</summary>
    Backward,

    /// <summary>Backprop on, then <c>y.Backward(retainGrad: true)</c>: every gradient is kept.</summary>
    Retain,

    /// <summary>Forward only under <c>Config.NoGrad()</c>: no graph is recorded.</summary>
    NoGrad,
}

/// <summary>How results are written to standard output.</summary>
internal enum OutputFormat
{
    /// <summary>An aligned text table for people.</summary>
    Table,

    /// <summary>Comma-separated values with a header line.</summary>
    Csv,

    /// <summary>One JSON document.</summary>
    Json,
}

/// <summary>A bad command line; the message is shown as <c>error: message</c>.</summary>
internal sealed class OptionsException(string message) : Exception(message);

/// <summary>The parsed command line.</summary>
internal sealed class Options
{
    /// <summary>The default edge of the cubic input, as in the seed: 100×100×100.</summary>
    public const int DefaultSize = 100;

    public Command Command { get; private set; } = Command.Run;

    /// <summary>The input's dimensions.</summary>
    public int[] Dimensions { get; private set; } = [DefaultSize, DefaultSize, DefaultSize];

    public DType DType { get; private set; } = DType.Float32;

    /// <summary>A device identifier for <see cref="Device.Open(string)"/>, or null for <see cref="Device.Best"/>.</summary>
    public string? Device { get; private set; }

    public int Reps { get; private set; } = 20;

    public int Warmup { get; private set; } = 3;

    public IReadOnlyList<Mode> Modes { get; private set; } = [Mode.Backward, Mode.Retain, Mode.NoGrad];

    public OutputFormat Format { get; private set; } = OutputFormat.Table;

    /// <summary>Where to write the memory chart, or null.</summary>
    public string? SvgPath { get; private set; }

    /// <summary>Where <c>graph</c> writes its DOT file.</summary>
    public string GraphPath { get; private set; } = "seed-graph.dot";

    /// <summary>No progress lines on standard error.</summary>
    public bool Quiet { get; private set; }

    /// <summary>The input's shape.</summary>
    public Shape Shape => new(Dimensions);

    /// <summary>The options each command accepts.</summary>
    private static readonly Dictionary<Command, string[]> Accepted = new()
    {
        [Command.Run] = ["--size", "--shape", "--elements", "--dtype", "--device", "--reps", "--warmup", "--modes", "--format", "--svg", "--quiet"],
        [Command.Devices] = ["--format"],
        [Command.Graph] = ["--out", "--size", "--shape", "--elements", "--dtype", "--device"],
        [Command.Seed] = ["--device"],
        [Command.Help] = [],
    };

    /// <summary>Parses the command line; throws <see cref="OptionsException"/> with a one-line reason.</summary>
    public static Options Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var o = new Options();
        var given = new List<string>();
        string? command = null;
        string? shapeOption = null;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help" or "-?")
                return new Options { Command = Command.Help };
            if (!arg.StartsWith('-'))
            {
                if (command is not null)
                    throw new OptionsException($"unexpected argument '{arg}' (the command is already '{command}'); see --help");
                command = arg;
                o.Command = ParseCommand(arg);
                continue;
            }

            string name = arg;
            string? inline = null;
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            if (given.Contains(name))
                throw new OptionsException($"{name} is given twice");
            given.Add(name);

            string Value()
            {
                if (inline is not null)
                    return inline;
                if (i + 1 >= args.Count)
                    throw new OptionsException($"{name} needs a value; see --help");
                return args[++i];
            }

            switch (name)
            {
                case "--size":
                case "--shape":
                case "--elements":
                    if (shapeOption is not null)
                        throw new OptionsException($"{shapeOption} and {name} both set the input shape: give one of --size, --shape, --elements");
                    shapeOption = name;
                    o.Dimensions = ParseShapeOption(name, Value());
                    break;
                case "--dtype":
                    o.DType = ParseDType(Value());
                    break;
                case "--device":
                    string spec = Value();
                    try
                    {
                        AutoDiff.Gpu.Device.ParseId(spec);
                    }
                    catch (ArgumentException e)
                    {
                        throw new OptionsException(StripParameter(e));
                    }
                    o.Device = spec;
                    break;
                case "--reps":
                    o.Reps = (int)ParseCount(name, Value(), 1, int.MaxValue);
                    break;
                case "--warmup":
                    o.Warmup = (int)ParseCount(name, Value(), 0, int.MaxValue);
                    break;
                case "--modes":
                    o.Modes = ParseModes(Value());
                    break;
                case "--format":
                    o.Format = Value().Trim().ToLowerInvariant() switch
                    {
                        "table" or "text" => OutputFormat.Table,
                        "csv" => OutputFormat.Csv,
                        "json" => OutputFormat.Json,
                        var other => throw new OptionsException($"--format: unknown format '{other}': use table, csv or json"),
                    };
                    break;
                case "--svg":
                    o.SvgPath = NonEmpty(name, Value());
                    break;
                case "--out":
                case "-o":
                    o.GraphPath = NonEmpty(name, Value());
                    break;
                case "--quiet":
                case "-q":
                    if (inline is not null)
                        throw new OptionsException($"{name} takes no value");
                    o.Quiet = true;
                    break;
                default:
                    throw new OptionsException($"unknown option '{name}'; see --help");
            }
        }

        string[] accepted = Accepted[o.Command];
        foreach (string name in given)
        {
            string canonical = name switch { "-o" => "--out", "-q" => "--quiet", _ => name };
            if (!accepted.Contains(canonical))
                throw new OptionsException($"{name} does not apply to '{CommandName(o.Command)}'; see --help");
        }
        return o;
    }

    /// <summary>The name a command is typed as.</summary>
    public static string CommandName(Command command) => command switch
    {
        Command.Run => "run",
        Command.Devices => "devices",
        Command.Graph => "graph",
        Command.Seed => "seed",
        _ => "help",
    };

    /// <summary>The name a mode is typed as (and shown as).</summary>
    public static string ModeName(Mode mode) => mode switch
    {
        Mode.Backward => "backward",
        Mode.Retain => "retain",
        _ => "nograd",
    };

    /// <summary>Parses <c>100x100x100</c> (also with <c>,</c> or <c>×</c>) into dimensions of at least 1.</summary>
    public static int[] ParseShape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Trim('(', ')').TrimEnd(',').Split(['x', 'X', ',', '×', '*'], StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
            throw new OptionsException($"--shape: '{text}' is not a shape: write it as 100x100x100");
        var dims = new int[parts.Length];
        long length = 1;
        for (int i = 0; i < parts.Length; i++)
        {
            dims[i] = (int)ParseCount("--shape", parts[i], 1, int.MaxValue);
            if (length > long.MaxValue / dims[i])
                throw new OptionsException($"--shape: {text} has more than {long.MaxValue:N0} elements");
            length *= dims[i];
        }
        return dims;
    }

    /// <summary>
    /// A whole number between <paramref name="min"/> and <paramref name="max"/>; also accepts <c>1e6</c> and
    /// <c>_</c> or <c>,</c> as digit separators.
    /// </summary>
    public static long ParseCount(string option, string text, long min, long max)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal).Replace(",", string.Empty, StringComparison.Ordinal);
        long value;
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d) || d != Math.Floor(d))
                throw new OptionsException($"{option}: '{text}' is not a whole number");
            if (d < min || d > max)
                throw new OptionsException($"{option}: {text} is out of range: use {RangeText(min, max)}");
            value = (long)d;
        }
        if (value < min || value > max)
            throw new OptionsException($"{option}: {text} is out of range: use {RangeText(min, max)}");
        return value;
    }

    /// <summary>The help text.</summary>
    public static string HelpText =>
        $"""
        AutoDiff.Gpu experiments: the DeZero step 18 mode-switch experiment on a device.

        Usage:
          AutoDiff.Gpu.Experiments [run] [options]      the experiment (the default command)
          AutoDiff.Gpu.Experiments devices [--format F] list the devices present, best first
          AutoDiff.Gpu.Experiments graph [options]      write the seed expression's graph as Graphviz DOT
          AutoDiff.Gpu.Experiments seed [--device D]    print the seed's first example (x0 + (x0 + x1))
          AutoDiff.Gpu.Experiments --help               this text

        The experiment computes y = Square(Square(Square(x))) with x a tensor of ones, in three modes:
          backward   backprop on, then y.Backward(): intermediate gradients go back to the pool once used
          retain     backprop on, then y.Backward(retainGrad: true): every gradient is kept
          nograd     forward only, under Config.NoGrad(): no graph is recorded (the intermediate squares are
                     released when the iteration ends, so 4 tensors are alive at its peak)
        Each iteration fills x, runs the mode and waits for the device (Synchronize); everything it created is
        released at its end (TensorScope). Per mode: the pool's cache is emptied, one iteration is checked
        (x.Grad = 8 and y = 1 everywhere, the kept gradients 1, 2, 4), --warmup iterations run untimed, then
        --reps iterations are timed. The row shows the median and fastest time per iteration, the peak of bytes
        held by tensors, the bytes reserved from the device, and the peak in units of one tensor's pool block.

        Options of run:
          --size N            input of N x N x N elements (default {DefaultSize})
          --shape AxBxC       any shape, e.g. 1000x1000 or 64x64x64x64
          --elements N        one dimension of N elements (at most {int.MaxValue:N0}); 1e6 works too
          --dtype T           float32 (default) or float64
          --device D          cpu, cuda, opencl or best, optionally with :index (cuda:1); default: best,
                              or the {AutoDiff.Gpu.Device.EnvironmentVariable} environment variable when it is set
          --reps N            timed iterations per mode (default 20)
          --warmup N          untimed iterations per mode after the checked one (default 3)
          --modes LIST        comma-separated subset of backward,retain,nograd, run in that order
          --format F          table (default), csv or json; csv and json keep standard output machine-readable
          --svg FILE          also write an SVG chart of the allocated device bytes over one iteration of each mode
                              (one more iteration, recorded; on GPUs launches are asynchronous, so its times are
                              when the host took and returned each block)
          --quiet, -q         no progress lines on standard error

        Options of graph:
          --out FILE.dot, -o  where to write the DOT file (default seed-graph.dot); when Graphviz's dot program
                              is on PATH, FILE.svg is rendered next to it
          --size, --shape, --elements, --dtype, --device as above (the graph is built by running the expression)

        Options of devices:
          --format F          table (default), csv or json

        Exit status: 0 success; 1 a result was wrong; 2 an error (bad option, unknown device, too large a size),
        reported as one line 'error: reason' on standard error.

        Sizes are in binary units (1 MiB = 2^20 bytes); the pool rounds a tensor up to a multiple of 2 MiB (512 B
        below 1 MiB). From the repository, run it as: dotnet run -c Release --project src/AutoDiff.Gpu.Experiments -- ARGS

        Examples:
          AutoDiff.Gpu.Experiments
          AutoDiff.Gpu.Experiments --size 200 --reps 50 --svg memory.svg
          AutoDiff.Gpu.Experiments --device cuda:0 --size 1024 --reps 10 --warmup 2
          AutoDiff.Gpu.Experiments --elements 7 --dtype float64 --modes backward,nograd --format csv
          AutoDiff.Gpu.Experiments --shape 4096x4096 --format json > result.json
          {AutoDiff.Gpu.Device.EnvironmentVariable}=cpu AutoDiff.Gpu.Experiments --modes retain
          AutoDiff.Gpu.Experiments devices
          AutoDiff.Gpu.Experiments graph --out out/step18.dot --size 2
          AutoDiff.Gpu.Experiments seed
        """;

    private static Command ParseCommand(string text) => text.ToLowerInvariant() switch
    {
        "run" => Command.Run,
        "devices" or "device" or "list" => Command.Devices,
        "graph" or "dot" => Command.Graph,
        "seed" => Command.Seed,
        "help" => Command.Help,
        _ => throw new OptionsException($"unknown command '{text}': use run, devices, graph, seed or --help"),
    };

    private static int[] ParseShapeOption(string option, string value)
    {
        switch (option)
        {
            case "--size":
                int n = (int)ParseCount(option, value, 1, int.MaxValue);
                if ((double)n * n * n > long.MaxValue)
                    throw new OptionsException($"--size: {n}³ elements is more than {long.MaxValue:N0}");
                return [n, n, n];
            case "--elements":
                long count = ParseCount(option, value, 1, long.MaxValue);
                if (count > int.MaxValue)
                    throw new OptionsException($"--elements: {count:N0} is more than one dimension holds ({int.MaxValue:N0}); use --shape, e.g. --shape {Math.Ceiling(count / 1024.0):F0}x1024");
                return [(int)count];
            default:
                return ParseShape(value);
        }
    }

    private static DType ParseDType(string text)
    {
        try
        {
            return DTypeExtensions.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new OptionsException($"--dtype: {StripParameter(e)}");
        }
    }

    private static Mode[] ParseModes(string text)
    {
        var modes = new List<Mode>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            Mode mode = part.ToLowerInvariant() switch
            {
                "backward" or "backprop" => Mode.Backward,
                "retain" or "retain-grad" or "retaingrad" => Mode.Retain,
                "nograd" or "no-grad" or "forward" => Mode.NoGrad,
                _ => throw new OptionsException($"--modes: unknown mode '{part}': use backward, retain and/or nograd, comma-separated"),
            };
            if (modes.Contains(mode))
                throw new OptionsException($"--modes: {ModeName(mode)} is listed twice");
            modes.Add(mode);
        }
        if (modes.Count == 0)
            throw new OptionsException("--modes: no mode given: use backward, retain and/or nograd, comma-separated");
        return [.. modes];
    }

    private static string NonEmpty(string option, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new OptionsException($"{option} needs a file name") : value;

    private static string RangeText(long min, long max) =>
        max == int.MaxValue || max == long.MaxValue ? $"{min} or more" : $"{min} to {max}";

    /// <summary>An <see cref="ArgumentException"/>'s message without the " (Parameter 'x')" suffix.</summary>
    public static string StripParameter(ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string message = e.Message;
        int at = e.ParamName is null ? -1 : message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return at >= 0 ? message[..at] : message;
    }
}
