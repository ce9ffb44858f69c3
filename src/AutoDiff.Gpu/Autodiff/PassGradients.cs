namespace AutoDiff.Gpu;

/// <summary>
/// The gradients of one backward pass, kept aside from the variables until <see cref="Commit"/> writes them, and
/// the one place that decides when a gradient's buffer may go back to the pool. A gradient the pass made is held
/// (<see cref="Variable.AddHold"/>) while the pass or a variable refers to it; once nothing does, and no user has
/// seen it, it is freed at once, unless the pass records a graph (then the garbage collector frees it).
/// </summary>
internal sealed class PassGradients(bool createGraph)
{
    private readonly Dictionary<Variable, Variable> pending = new(VariableIdentity.Instance);
    private readonly HashSet<Variable> dropped = new(VariableIdentity.Instance);

    /// <summary>A leaf's own pass: its gradient becomes the seed, else ones unless it has one (DeZero).</summary>
    public static void SeedLeaf(Variable output, Variable? seed, bool createGraph)
    {
        lock (output)
        {
            if (seed is not null)
                output.SetGradLocked(seed);
            else if (output.GradInternal is null)
                output.SetGradLocked(Ones(output, createGraph));
        }
    }

    /// <summary>The output's gradient: the one given, else the one it has, else ones.</summary>
    public void Seed(Variable output, Variable? seed) =>
        Hold(output, seed ?? output.GradInternal ?? Ones(output, createGraph));

    /// <summary>
    /// <c>[y().grad for y in f.outputs]</c>: this pass's gradient of each live output, else zeros (also for an output
    /// the collector took: <paramref name="outputs"/> holds null there).
    /// </summary>
    public Variable[] OfOutputs(Function f, Variable?[] outputs)
    {
        var gys = new Variable[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is { } y && Current(y) is { } gy)
                gys[i] = gy;
            else
                gys[i] = Hold(outputs[i], f.ZeroGradFor(i, engineMade: !createGraph));
        }
        return gys;
    }

    /// <summary><c>x.grad = gx if x.grad is None else x.grad + gx</c>, for each input that requires one.</summary>
    public void Accumulate(IReadOnlyList<Variable> inputs, Variable?[] gxs)
    {
        // Hold every gx until all inputs took theirs: a function may return one gradient for several inputs.
        foreach (var gx in gxs)
            gx?.AddHold();
        for (int i = 0; i < gxs.Length; i++)
        {
            if (gxs[i] is not { } gx || !inputs[i].RequiresGrad)
                continue;
            var x = inputs[i];
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
    }

    /// <summary>
    /// After a function's step: with <paramref name="dropOutputs"/>, <c>y().grad = None</c> for its outputs; the zeros
    /// made for collected outputs, which no variable holds, are released.
    /// </summary>
    public void EndStep(Variable?[] outputs, Variable[] gys, bool dropOutputs)
    {
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is not { } y)
            {
                Release(gys[i]);
            }
            else if (dropOutputs)
            {
                dropped.Add(y);
                if (pending.Remove(y, out var g))
                    Release(g);
            }
        }
    }

    /// <summary>Writes the gradients into the variables: leaves add theirs atomically, others take theirs.</summary>
    public void Commit()
    {
        CommitLeaves();
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
    public void Abandon()
    {
        foreach (var g in pending.Values)
            Release(g);
        pending.Clear();
    }

    /// <summary>
    /// Leaves first, under their locks in creation order, so concurrent passes sharing them add exactly; the sums
    /// are computed before any gradient is replaced, so a failure changes nothing.
    /// </summary>
    private void CommitLeaves()
    {
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

    private Variable Hold(Variable? v, Variable g)
    {
        g.AddHold();
        if (v is not null)
            pending[v] = g;
        return g;
    }

    /// <summary>
    /// Drops one hold; an engine-made gradient nothing holds goes back to the pool now (never while recording a
    /// graph).
    /// </summary>
    private void Release(Variable g)
    {
        if (g.ReleaseHold() && !createGraph)
            g.DisposeIfUnclaimed();
    }

    /// <summary>Ones shaped as <paramref name="output"/>, the engine's to free unless a graph is recorded.</summary>
    private static Variable Ones(Variable output, bool createGraph) =>
        new(Launch.Constant(output.Device, output.Shape, output.DType, 1)) { EngineMade = !createGraph };
}
