namespace AutoDiff.Gpu;

/// <summary>
/// One run of <see cref="Variable.Backward(bool, bool)"/>, as DeZero's: every function reachable from the output,
/// highest generation first; each takes its outputs' gradients and gives its inputs theirs, added where one
/// arrives twice; without <c>retainGrad</c> the outputs' gradients are dropped after use. It plans first and checks
/// that every input the steps need is alive. The gradients wait in <see cref="PassGradients"/> until the end, so a
/// failure leaves every variable as it was.
/// </summary>
internal static class BackwardPass
{
    [ThreadStatic]
    private static int running;

    /// <summary>True while a backward step runs on this thread: the functions it calls make gradients.</summary>
    public static bool IsRunningOnThisThread => running > 0;

    /// <summary>Runs a pass from <paramref name="output"/>, seeded with <paramref name="seed"/> when given.</summary>
    public static void Run(Variable output, bool retainGrad, bool createGraph, Variable? seed = null)
    {
        var funcs = Plan(output);
        if (funcs.Count == 0)
        {
            PassGradients.SeedLeaf(output, seed, createGraph);
            return;
        }
        var grads = new PassGradients(createGraph);
        running++;
        try
        {
            using (Config.UsingConfig(Config.EnableBackpropName, createGraph))
            {
                grads.Seed(output, seed);
                foreach (var f in funcs)
                {
                    var outputs = f.LiveOutputs();
                    var gys = grads.OfOutputs(f, outputs);
                    var gxs = f.BackwardCore(gys);
                    grads.Accumulate(f.Inputs, gxs);
                    grads.EndStep(outputs, gys, dropOutputs: !retainGrad);
                }
                grads.Commit();
            }
        }
        catch
        {
            grads.Abandon();
            throw;
        }
        finally
        {
            running--;
        }
    }

    /// <summary>
    /// The functions to visit, highest generation first; fails before anything changes if an input they need was
    /// disposed.
    /// </summary>
    private static List<Function> Plan(Variable output)
    {
        var funcs = new List<Function>();
        if (output.Creator is not { } first)
            return funcs;
        var queue = new PriorityQueue<Function, int>();
        var seen = new HashSet<Function>(ReferenceEqualityComparer.Instance) { first };
        queue.Enqueue(first, -first.Generation);
        while (queue.TryDequeue(out var f, out _))
        {
            funcs.Add(f);
            for (int i = 0; i < f.Inputs.Count; i++)
            {
                var x = f.Inputs[i];
                if (x.IsDisposed)
                {
                    throw x.DisposedError(
                        $"Backward: input {i} of {f.Name}, needed to compute its gradient (nothing was changed)");
                }
                if (x.Creator is { } c && seen.Add(c))
                    queue.Enqueue(c, -c.Generation);
            }
        }
        return funcs;
    }
}
