namespace AutoDiff.Gpu.Experiments;

/// <summary>
/// Runs the seed experiment's rows in interleaved rounds: in each round every row, in order, times its share of
/// the iterations, so that all rows see the machine in the same state.
/// </summary>
internal static class SeedRounds
{
    /// <summary>The timed iterations of round <paramref name="round"/>: reps spread evenly, at least 1.</summary>
    public static int Share(int reps, int rounds, int round) =>
        Math.Max(1, (reps / rounds) + (round < reps % rounds ? 1 : 0));

    /// <summary>
    /// Runs every row (mode × fusion × lifetime, in that order) for <see cref="Options.Rounds"/> rounds; each
    /// row's peak is measured right after its turn in the last round. Returns the rows' results in order.
    /// </summary>
    public static List<ModeResult> Run(SeedExperiment experiment, Options options)
    {
        var rows = (from mode in options.Modes
                    from fused in options.Fusion
                    from lifetime in options.Lifetimes
                    select new SeedRow(mode, lifetime, fused, options.Rounds)).ToList();
        var results = new List<ModeResult>();
        for (int round = 0; round < options.Rounds; round++)
        {
            int reps = Share(options.Reps, options.Rounds, round);
            bool last = round == options.Rounds - 1;
            foreach (var row in rows)
            {
                using var fusion = Config.UsingConfig(Config.FusionName, row.Fused);
                experiment.RunTurn(row, options.Warmup, reps);
                if (last)
                    results.Add(experiment.Finish(row, record: options.SvgPath is not null));
            }
        }
        return results;
    }
}
