using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// The program's command line (System.CommandLine: POSIX syntax, generated help, <c>@file</c> response files):
/// the experiment as the root command (also named <c>run</c>), and the <c>devices</c>, <c>graph</c>, <c>seed</c>
/// and <c>sine</c> commands. Values are checked while parsing; a bad one is a parse error with a one-line reason.
/// </summary>
internal sealed class CommandLine
{
    /// <summary>Warm-up stops after this many iterations even when the pool still grows.</summary>
    public const int MaxWarmupIterations = 100_000;

    /// <summary>Warm-up lasts at least this long, so that the JIT has compiled the loop's code fully (tiered compilation).</summary>
    public static readonly TimeSpan MinWarmupTime = TimeSpan.FromSeconds(0.5);

    /// <summary>Warm-up stops after this long even when the pool still grows.</summary>
    public static readonly TimeSpan MaxWarmupTime = TimeSpan.FromSeconds(10);

    private readonly Option<int[]> size = Value("--size", "N", Options.ParseSize, $"Input of N x N x N elements (default {Options.DefaultSize}).");
    private readonly Option<int[]> shape = Value("--shape", "AxBxC", Options.ParseShape, "Any shape, e.g. 1000x1000 or 64x64x64x64.");
    private readonly Option<int[]> elements = Value("--elements", "N", Options.ParseElements, $"One dimension of N elements (at most {int.MaxValue:N0}); 1e6 works too.");
    private readonly Option<DType> dtype = Value("--dtype", "T", Options.ParseDType, "float32 (default) or float64.");
    private readonly Option<string> device = Value("--device", "D", Options.ParseDevice,
        $"cpu, cuda, opencl or best, optionally with :index (cuda:1); default: best, or {Device.EnvironmentVariable} when it is set.");
    private readonly Option<int> reps = Value("--reps", "N", t => (int)Options.ParseCount("--reps", t, 1, int.MaxValue), $"Timed iterations per row (default {Options.DefaultReps}).");
    private readonly Option<int> rounds = Value(
        "--rounds", "N", t => (int)Options.ParseCount("--rounds", t, 1, int.MaxValue),
        "Split each row's timed iterations into N rounds; in each round every row, in order, warms up and times "
        + $"its share (default {Options.DefaultRounds}; 1: each row alone).");
    private readonly Option<int> warmup = Value("--warmup", "N", t => (int)Options.ParseCount("--warmup", t, 0, int.MaxValue),
        $"Least untimed iterations per row after the checked one (default {Options.DefaultWarmup}); more run for {MinWarmupTime.TotalSeconds:0.#} s and while the pool still grows (see below).");
    private readonly Option<Mode[]> modes = Value("--modes", "LIST", Options.ParseModes, "Comma-separated subset of backward,retain,nograd (default all three), run in that order.");
    private readonly Option<Lifetime[]> lifetimes = Value("--lifetime", "LIST", Options.ParseLifetimes,
        "How each iteration's tensors end: natural (default: the seed's code as written), scoped, disposed, or several comma-separated to compare them side by side.");
    private readonly Option<bool[]> fusion = Value("--fusion", "LIST", Options.ParseFusion,
        "on (elementwise chains fused into one kernel), off (one kernel per function), or on,off to compare; default: on, or off where AUTODIFF_FUSION=0.");
    private readonly Option<long> ballast = Value("--ballast", "SIZE", t => Options.ParseBytes("--ballast", t),
        "Hold SIZE of small live managed objects (64-byte arrays in a List, ~100 bytes each) during the run, as a real application's heap: a full garbage collection then costs what it costs there. E.g. 200MB.");
    private readonly Option<long> budget = Value("--garbage-budget", "SIZE", t => Options.ParseBytes("--garbage-budget", t),
        "Set the device pool's GarbageBudget (bytes of dropped tensors it lets build up before it collects); default: the device's.");
    private readonly Option<OutputFormat> format = Value("--format", "F", Options.ParseFormat, "table (default), csv or json; csv and json keep standard output machine-readable.");
    private readonly Option<string> svg = Value("--svg", "FILE",
        t => Options.NonEmpty("--svg", t),
        "Also write an SVG chart of the allocated device bytes over one iteration of each row (recorded after a full collection; on GPUs launches are asynchronous, so its times are when the host took and returned each block).");
    private readonly Option<bool> quiet = new("--quiet", "-q") { Description = "No progress lines on standard error." };
    private readonly Option<string> graphOut = Value("--out", "FILE.dot", t => Options.NonEmpty("--out", t),
        "Where to write the DOT file (default seed-graph.dot); when Graphviz's dot program is on PATH, FILE.svg is rendered next to it.", "-o");

    private readonly Option<int> sineIterations = Value("--iters", "N", t => (int)Options.ParseCount("--iters", t, 1, int.MaxValue),
        $"Training iterations, timed (default {SineModel.BookIterations:N0}, the book's).");
    private readonly Option<int> sineEvery = Value("--every", "N", t => (int)Options.ParseCount("--every", t, 1, int.MaxValue), "Show the loss every N iterations (default 1000) and for the last one.");
    private readonly Option<int> sineWarmup = Value("--warmup", "N", t => (int)Options.ParseCount("--warmup", t, 0, int.MaxValue),
        "Untimed iterations first, on a copy of the model (default 20): kernels compiled, code warm.");
    private readonly Option<DType> sineDType = Value("--dtype", "T", Options.ParseDType, "float64 (default, as the book and the NumPy baseline) or float32.");
    private readonly Option<double> sineLearningRate = Value("--lr", "RATE", Options.ParseRate, $"Learning rate (default {SineModel.DefaultLearningRate}); the NumPy comparison holds for the default only.");
    private readonly Option<string> sineSvg = Value("--svg", "FILE", t => Options.NonEmpty("--svg", t), "Also write an SVG chart of the loss over the iterations, NumPy's losses as dots.");

    public CommandLine()
    {
        Root = new RootCommand("AutoDiff.Gpu experiments: the DeZero step 18 mode-switch experiment on a device.");
        AddRunOptions(Root);
        Root.SetAction(r => Program.Run(ReadRun(r)));

        var run = new Command("run", "The experiment (the default command).");
        AddRunOptions(run);
        run.SetAction(r => Program.Run(ReadRun(r)));

        var devices = new Command("devices", "List the devices present, best first.") { format };
        devices.Aliases.Add("device");
        devices.Aliases.Add("list");
        devices.SetAction(r => Program.Devices(Get(r, format, OutputFormat.Table)));

        var graph = new Command("graph", "Write the seed expression's graph as Graphviz DOT (built by running the expression).")
        {
            graphOut, size, shape, elements, dtype, device,
        };
        graph.Aliases.Add("dot");
        graph.Validators.Add(OneShapeOption);
        graph.SetAction(r => Program.Graph(ReadShape(r) with { GraphPath = Get(r, graphOut, new Options().GraphPath) }));

        var seed = new Command("seed", "Print the seed's first example: y = x0 + (x0 + x1), y.Backward(), then the gradients.") { device };
        seed.SetAction(r => Program.Seed(Get<string?>(r, device!, null)));

        var sine = new Command("sine", "The book's step 43: a two-layer network fitted to sin(2 pi x) + noise by gradient descent; prints the loss curve and the time per iteration.")
        {
            sineIterations, sineEvery, sineWarmup, sineDType, device, sineLearningRate, format, sineSvg, quiet,
        };
        sine.SetAction(r => Program.Sine(ReadSine(r)));

        var help = new Command("help", "Show this help.") { Hidden = true };
        help.SetAction(r => Root.Parse("--help").Invoke(r.InvocationConfiguration));

        Root.Add(run);
        Root.Add(devices);
        Root.Add(graph);
        Root.Add(seed);
        Root.Add(sine);
        Root.Add(ShardedSeedExperiment.Command());
        Root.Add(SpiralExperiment.Command());
        Root.Add(DataParallelStepExperiment.Command());
        Root.Add(AllReduceExperiment.Command());
        Root.Add(help);

        foreach (var helpOption in Root.Options.OfType<HelpOption>())
        {
            if (helpOption.Action is HelpAction standard)
                helpOption.Action = new HelpWithNotes(standard, this);
        }
    }

    /// <summary>The root command; its action runs the experiment.</summary>
    public RootCommand Root { get; }

    /// <summary>Said after the options in the help of the experiment (the root and <c>run</c> commands).</summary>
    public static string ExperimentNotes =>
        $"""
        The experiment computes y = Square(Square(Square(x))) with x a tensor of ones, in up to three modes:
          backward   backprop on, then y.Backward(): intermediate gradients go back to the pool once used
          retain     backprop on, then y.Backward(retainGrad: true): every gradient is kept
          nograd     forward only, under Config.NoGrad(): no graph is recorded
        and up to three lifetimes (--lifetime), how an iteration's tensors end:
          natural    exactly as the seed's code is written, no scope and no Dispose: the pool takes dropped tensors
                     back after a garbage collection, which it starts itself (a cheap generation-1 one) when the
                     garbage passes the device's GarbageBudget
          scoped     each iteration inside TensorScope.Begin(), which frees everything the iteration made
          disposed   x.Dispose() and y.Dispose() at the end of each iteration; the intermediates are left to the GC
        and fused (--fusion on, the default: each elementwise chain one kernel, computed when read) or eager (off).
        Each iteration makes x, runs the mode, computes y and the gradients kept, and waits for the device
        (Synchronize). The rows (mode x fusion x lifetime, in that order) are timed in --rounds rounds: in each round
        every row takes its turn, in order, so that all rows see the machine in the same state. Per turn: garbage
        is collected and the pool's cache emptied; on the row's first turn, one iteration is checked (x.Grad = 8 and
        y = 1 everywhere, the kept gradients 1, 2, 4); untimed warm-up iterations run, at least --warmup of them
        and for {MinWarmupTime.TotalSeconds:0.#} s (so that the JIT has finished compiling the loop), and more while the pool still
        grows: until a garbage collection has run and an iteration after it made no device allocation (at the
        first iteration with no device allocation when nothing is left to the GC), at most {MaxWarmupIterations:N0}
        iterations or {MaxWarmupTime.TotalSeconds:F0} s, so that a natural loop is timed with its pool filled up to its budget;
        then the turn's share of --reps is timed (--reps / --rounds, at least 1). After the row's last turn, one
        iteration run after a full collection, with none during it, gives the peak of bytes held by tensors and its
        size in tensors (pool blocks of x): eager, 6, 8 and 4 for backward, retain and nograd in every lifetime;
        fused, 3, 6 and 2.

        Columns: median, mean and fastest time per iteration, over all rounds (a collection every N iterations
        shows in the mean, not in the median); kernel launches per iteration; peak in tensors and bytes; bytes
        reserved from the device after the last timed iterations; the garbage collections the pool started during
        the timed iterations, ephemeral / full; with the scoped lifetime and
        another, each row's mean over the scoped row's of the same mode (the eager scoped row's, when there is one),
        and with several rounds the range of that ratio over the rounds, each round's means compared (per round).

        Exit status: 0 success; 1 a result was wrong; 2 an error (bad option, unknown device, too large a size),
        reported as one line 'error: reason' on standard error.

        Sizes are shown in binary units (1 MiB = 2^20 bytes); the pool rounds a tensor up to a multiple of 2 MiB
        (512 B below 1 MiB). A SIZE is written 200MB or 1.5GB (powers of 1000), 512MiB (powers of 1024), or a
        plain number of MB. Options can also be read from a file: AutoDiff.Gpu.Experiments @options.rsp. From the
        repository, run it as: dotnet run -c Release --project src/AutoDiff.Gpu.Experiments -- ARGS

        Examples:
          AutoDiff.Gpu.Experiments
          AutoDiff.Gpu.Experiments --lifetime natural,scoped --ballast 200MB --reps 1000
          AutoDiff.Gpu.Experiments --lifetime natural,scoped --fusion on,off --reps 300 --rounds 5
          AutoDiff.Gpu.Experiments --size 200 --reps 50 --svg memory.svg
          AutoDiff.Gpu.Experiments --device cuda:0 --size 1024 --reps 10 --warmup 2
          AutoDiff.Gpu.Experiments --elements 7 --dtype float64 --modes backward,nograd --format csv
          AutoDiff.Gpu.Experiments --shape 4096x4096 --format json > result.json
          {Device.EnvironmentVariable}=cpu AutoDiff.Gpu.Experiments --modes retain
          AutoDiff.Gpu.Experiments devices
          AutoDiff.Gpu.Experiments graph --out out/step18.dot --size 2
          AutoDiff.Gpu.Experiments seed
          AutoDiff.Gpu.Experiments sine --dtype float32 --svg loss.svg
          AutoDiff.Gpu.Experiments spiral --dtype float64 --epochs 100
        """;

    /// <summary>
    /// Parses <paramref name="args"/>. A parse error comes back as its one-line reason; otherwise the parse
    /// result, whose <see cref="ParseResult.Invoke"/> runs the command (or shows the help).
    /// </summary>
    public (ParseResult? Result, string? Error) Parse(IReadOnlyList<string> args)
    {
        var result = Root.Parse(args);
        if (result.Action is not ParseErrorAction)
            return (result, null);
        // Our own messages start with the option's name and say what to write; System.CommandLine's do not.
        string message = result.Errors[0].Message.TrimEnd('.');
        if (!message.StartsWith("--", StringComparison.Ordinal))
            message += "; see --help";
        return (null, message);
    }

    /// <summary>An option that takes one value, parsed (and checked) by <paramref name="parse"/>.</summary>
    internal static Option<T> Value<T>(string name, string helpName, Func<string, T> parse, string description, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            HelpName = helpName,
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = r =>
            {
                try
                {
                    return parse(r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty);
                }
                catch (OptionsException e)
                {
                    r.AddError(e.Message);
                    return default;
                }
            },
        };

    private void AddRunOptions(Command command)
    {
        Option[] options =
        [
            size, shape, elements, dtype, device, reps, rounds, warmup, modes, lifetimes, fusion, ballast, budget,
            format, svg, quiet,
        ];
        foreach (var option in options)
            command.Add(option);
        command.Validators.Add(OneShapeOption);
    }

    private void OneShapeOption(CommandResult command)
    {
        var given = new[] { size, shape, elements }.Where(o => command.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (given.Count > 1)
            command.AddError($"{given[0]} and {given[1]} both set the input shape: give one of --size, --shape, --elements");
    }

    /// <summary>The option's value when it was given, else <paramref name="fallback"/>.</summary>
    internal static T Get<T>(ParseResult r, Option<T> option, T fallback) =>
        r.GetResult(option) is { Implicit: false } ? r.GetValue(option)! : fallback;

    private Options ReadShape(ParseResult r) => new()
    {
        Dimensions = Get(r, size, Get(r, shape, Get(r, elements, new Options().Dimensions))),
        DType = Get(r, dtype, DType.Float32),
        Device = Get<string?>(r, device!, null),
    };

    private Options ReadRun(ParseResult r)
    {
        var defaults = new Options();
        return ReadShape(r) with
        {
            Reps = Get(r, reps, defaults.Reps),
            Rounds = Get(r, rounds, defaults.Rounds),
            Warmup = Get(r, warmup, defaults.Warmup),
            Modes = Get(r, modes, [.. defaults.Modes]),
            Lifetimes = Get(r, lifetimes, [.. defaults.Lifetimes]),
            Fusion = Get(r, fusion, [.. defaults.Fusion]),
            BallastBytes = Get(r, ballast, 0),
            GarbageBudget = r.GetResult(budget) is { Implicit: false } ? r.GetValue(budget) : null,
            Format = Get(r, format, defaults.Format),
            SvgPath = Get<string?>(r, svg!, null),
            Quiet = r.GetValue(quiet),
        };
    }

    private SineOptions ReadSine(ParseResult r)
    {
        var defaults = new SineOptions();
        return new SineOptions
        {
            Iterations = Get(r, sineIterations, defaults.Iterations),
            Every = Get(r, sineEvery, defaults.Every),
            Warmup = Get(r, sineWarmup, defaults.Warmup),
            DType = Get(r, sineDType, defaults.DType),
            Device = Get<string?>(r, device!, null),
            LearningRate = Get(r, sineLearningRate, defaults.LearningRate),
            Format = Get(r, format, defaults.Format),
            SvgPath = Get<string?>(r, sineSvg!, null),
            Quiet = r.GetValue(quiet),
        };
    }

    /// <summary>The generated help, followed for the experiment by <see cref="ExperimentNotes"/>.</summary>
    private sealed class HelpWithNotes(HelpAction standard, CommandLine owner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int status = standard.Invoke(parseResult);
            var command = parseResult.CommandResult.Command;
            if (command == owner.Root || command.Name == "run")
                parseResult.InvocationConfiguration.Output.WriteLine(ExperimentNotes);
            return status;
        }
    }
}
