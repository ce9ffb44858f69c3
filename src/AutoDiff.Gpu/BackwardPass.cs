namespace AutoDiff.Gpu;

/// <summary>
/// One run of <see cref="Variable.Backward(bool, bool)"/>. It plans first (every function reachable from the output, highest
/// generation first, as DeZero's sorted list) and checks that every input the backward steps need is alive;
/// then it runs the steps with the gradients of this pass kept aside, and only at the end writes them into
/// the variables. A failure before that point leaves every variable as it was.
/// </summary>
internal sealed class BackwardPass
{
    [ThreadStatic]
    private static int running;

    private readonly Dictionary<Variable, Variable> pending = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Variable> dropped = new(ReferenceEqualityComparer.Instance);
    private readonly bool retainGrad;
    private readonly bool createGraph;

    private BackwardPass(bool retainGrad, bool createGraph)
    {
        this.retainGrad = retainGrad;
        this.createGraph = createGraph;
    }

    /// <summary>True while a backward step runs on this thread: the functions it calls make gradients.</summary>
    public static bool IsRunningOnThisThread => running > 0;

    /// <summary>Runs a pass from <paramref name="output"/>, seeded with <paramref name="seed"/> when given.</summary>
    public static void Run(Variable output, bool retainGrad, bool createGraph, Variable? seed = null)
    {
        var steps = Plan(output);
        if (steps.Count == 0)
        {
            // A leaf: its gradient becomes the seed, else ones unless it has one (DeZero), and nothing else happens.
            lock (output)
            {
                if (seed is not null)
                    output.SetGradLocked(seed);
                else if (output.GradInternal is null)
                    output.SetGradLocked(new Variable(Launch.Constant(output.Device, output.Shape, output.DType, 1)) { EngineMade = !createGraph });
            }
            return;
        }
        var pass = new BackwardPass(retainGrad, createGraph);
        running++;
        try
        {
            using (Config.UsingConfig(Config.EnableBackpropName, createGraph))
            {
                pass.Seed(output, seed);
                foreach (var f in steps)
                    pass.Step(f);
                pass.Commit();
            }
        }
        catch
        {
            pass.Abandon();
            throw;
        }
        finally
        {
            running--;
        }
    }

    /// <summary>The functions to visit, highest generation first; fails before anything changes if an input they need was disposed.</summary>
    private static List<Function> Plan(Variable output)
    {
        var steps = new List<Function>();
        if (output.Creator is not { } first)
            return steps;
        var queue = new PriorityQueue<Function, int>();
        var seen = new HashSet<Function>(ReferenceEqualityComparer.Instance) { first };
        queue.Enqueue(first, -first.Generation);
        while (queue.TryDequeue(out var f, out _))
        {
            steps.Add(f);
            for (int i = 0; i < f.Inputs.Count; i++)
            {
                var x = f.Inputs[i];
                if (x.IsDisposed)
                    throw x.DisposedError($"Backward: input {i} of {f.Name}, needed to compute its gradient (nothing was changed)");
                if (x.Creator is { } c && seen.Add(c))
                    queue.Enqueue(c, -c.Generation);
            }
        }
        return steps;
    }

    /// <summary>The output's gradient: the one given, else the one it has, else ones.</summary>
    private void Seed(Variable output, Variable? seed)
    {
        var g = seed ?? output.GradInternal ?? new Variable(Launch.Constant(output.Device, output.Shape, output.DType, 1)) { EngineMade = !createGraph };
        Hold(output, g);
    }

    private void Step(Function f)
    {
        var outputs = f.LiveOutputs();
        var gys = new Variable[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is { } y && Current(y) is { } gy)
                gys[i] = gy;
            else
                gys[i] = Hold(outputs[i], f.ZeroGradFor(i, engineMade: !createGraph));
        }

        var gxs = f.BackwardCore(gys);
        // Hold every gx until all inputs took theirs: a function may return one gradient for several inputs.
        foreach (var gx in gxs)
            gx?.AddHold();
        for (int i = 0; i < gxs.Length; i++)
        {
            if (gxs[i] is not { } gx)
                continue;
            var x = f.Inputs[i];
            if (!x.RequiresGrad)
                continue; // released below, with the others
            if (Current(x) is { } old)
            {
                var sum = F.Add(old, gx);
                Release(old);
                pending[x] = sum;
                sum.AddHold();
            }
            else
            {
                Hold(x, gx);
            }
        }
        foreach (var gx in gxs)
        {
            if (gx is not null)
                Release(gx);
        }

        if (!retainGrad)
        {
            for (int i = 0; i < outputs.Length; i++)
            {
                if (outputs[i] is { } y)
                {
                    dropped.Add(y);
                    if (pending.Remove(y, out var g))
                        Release(g);
                }
            }
        }
        // Zeros made for collected outputs are held by no variable.
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is null)
                Release(gys[i]);
        }
    }

    /// <summary>
    /// The gradient a backward step reads for <paramref name="v"/>: this pass's, else (for a variable made by a
    /// function) the one it already had, as DeZero's <c>x.grad</c>. A leaf's earlier gradient is added at the end.
    /// </summary>
    private Variable? Current(Variable v)
    {
        if (pending.TryGetValue(v, out var g))
            return g;
        if (v.Creator is null || dropped.Contains(v) || v.GradInternal is not { } existing)
            return null;
        pending[v] = existing;
        existing.AddHold();
        return existing;
    }

    /// <summary>Writes the pass's gradients into the variables: leaves add theirs (atomically), others take or drop theirs.</summary>
    private void Commit()
    {
        // Leaves first, under their locks in creation order, so concurrent passes sharing them add exactly; the
        // sums are computed before any gradient is replaced, so a failure changes nothing.
        var leaves = new List<(Variable Leaf, Variable Grad)>();
        foreach (var (v, g) in pending)
        {
            if (v.Creator is null)
                leaves.Add((v, g));
        }
        leaves.Sort((a, b) => a.Leaf.Stamp.CompareTo(b.Leaf.Stamp));
        var sums = new Variable?[leaves.Count];
        int locked = 0;
        try
        {
            for (; locked < leaves.Count; locked++)
                Monitor.Enter(leaves[locked].Leaf);
            for (int i = 0; i < leaves.Count; i++)
            {
                if (leaves[i].Leaf.GradInternal is { } old)
                {
                    var sum = F.Add(old, leaves[i].Grad);
                    sum.AddHold();
                    sums[i] = sum;
                }
            }
            for (int i = 0; i < leaves.Count; i++)
            {
                var (leaf, g) = leaves[i];
                var value = sums[i] ?? g;
                leaf.SetGradLocked(value, disposeOld: !createGraph);
                pending.Remove(leaf);
                Release(g);
                if (sums[i] is { } sum)
                    Release(sum);
                if (value.EngineMade)
                    TensorScope.MoveTo(value.Data, leaf.Data.Scope);
            }
        }
        catch
        {
            foreach (var s in sums)
            {
                if (s is not null && s.ReleaseHold())
                    s.DisposeIfUnclaimed();
            }
            throw;
        }
        finally
        {
            for (int i = 0; i < locked; i++)
                Monitor.Exit(leaves[i].Leaf);
        }

        foreach (var y in dropped)
        {
            lock (y)
                y.SetGradLocked(null, disposeOld: !createGraph);
        }
        foreach (var (v, g) in pending)
        {
            lock (v)
                v.SetGradLocked(g, disposeOld: !createGraph);
            Release(g);
            if (g.EngineMade)
                TensorScope.MoveTo(g.Data, v.Data.Scope);
        }
        pending.Clear();
    }

    /// <summary>After a failure: releases this pass's gradients; the variables never saw them.</summary>
    private void Abandon()
    {
        foreach (var g in pending.Values)
            Release(g);
        pending.Clear();
    }

    private Variable Hold(Variable? v, Variable g)
    {
        g.AddHold();
        if (v is not null)
            pending[v] = g;
        return g;
    }

    /// <summary>Drops one hold; an engine-made gradient nothing holds goes back to the pool now (never while recording a graph).</summary>
    private void Release(Variable g)
    {
        if (g.ReleaseHold() && !createGraph)
            g.DisposeIfUnclaimed();
    }
}
