using System.Runtime.CompilerServices;
using AutoDiff.Gpu.Kernels;
using AutoDiff.Gpu.Layers;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// DeZero's <c>Optimizer</c>: updates parameters from their gradients, in place on the device. Parameters without a
/// gradient, and frozen ones (<see cref="Variable.RequiresGrad"/> false), are left alone. An optimizer that keeps state (a velocity, moment estimates) keeps it per parameter, on
/// the parameter's device, created as zeros on the first update and dropped with the parameter.
/// </summary>
public abstract partial class Optimizer
{
    private readonly ConditionalWeakTable<Variable, ParameterState> states = [];

    /// <summary>The model whose parameters <see cref="Update()"/> updates (DeZero's <c>target</c>), or null.</summary>
    public Layer? Target { get; internal set; }

    /// <summary>The hooks <see cref="Update(IEnumerable{Variable})"/> runs on the parameters with gradients before it updates them, in order.</summary>
    public IList<IOptimizerHook> Hooks { get; } = [];

    /// <summary>The <see cref="Target"/> when it is a hook too (it runs first), or null.</summary>
    internal IOptimizerHook? TargetHook { get; set; }

    /// <summary>Adds <paramref name="hook"/> (DeZero's <c>add_hook</c>) and returns this optimizer.</summary>
    public Optimizer AddHook(IOptimizerHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(hook);
        return this;
    }

    /// <summary>
    /// Updates every parameter in <paramref name="parameters"/> that has a gradient, after the <see cref="Hooks"/> have
    /// seen them all (weight decay, gradient clipping). A hook may give a parameter a gradient it lacked (one that
    /// another rank computed): it is updated too. Whole or nothing: the parameters and gradients are checked first, and
    /// when a hook throws every gradient is put back as it was, so a retried update decays only once.
    /// </summary>
    /// <exception cref="ArgumentException">No parameter is given, or a gradient is on another device, of another element type or of another shape than its parameter.</exception>
    /// <exception cref="ObjectDisposedException">A parameter was disposed (checked before anything changes).</exception>
    public void Update(params IEnumerable<Variable> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var all = parameters.ToList();
        if (all.Count == 0)
            throw new ArgumentException(
                $"{GetType().Name}.Update: no parameters were given, so nothing would learn. A layer's Params() finds the " +
                "layers and Parameter objects held in its fields (a plain Variable is not one); lazy layers make theirs on " +
                "the first call", nameof(parameters));
        foreach (var p in all)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(parameters));
            if (p.IsDisposed)
                throw p.DisposedError(GetType().Name);
        }
        var distinct = Distinct(all);
        var withGrad = new List<Variable>(distinct.Count);
        var grads = new List<Variable>(distinct.Count);
        foreach (var p in distinct)
        {
            if (p.RequiresGrad && p.GradInternal is { } g)
            {
                p.CheckGradient(GetType().Name, g);
                withGrad.Add(p);
                grads.Add(g);
            }
        }
        if (Hooks.Count > 0)
            ApplyHooks(distinct, withGrad, grads);
        foreach (var p in distinct)
            UpdateOne(p);
    }

    /// <summary>
    /// Lets the hooks see the parameters <paramref name="withGrad"/>; when one throws, puts every gradient back as it
    /// was (<paramref name="grads"/>, none for the others of <paramref name="all"/>).
    /// </summary>
    private void ApplyHooks(List<Variable> all, List<Variable> withGrad, List<Variable> grads)
    {
        var without = all.FindAll(p => p.GradInternal is null);
        // A hold keeps each gradient alive while a hook replaces it, so that a failure can put it back.
        foreach (var g in grads)
            g.AddHold();
        try
        {
            foreach (var hook in Hooks)
                hook.Apply(withGrad);
        }
        catch
        {
            for (int i = 0; i < withGrad.Count; i++)
            {
                lock (withGrad[i])
                    withGrad[i].SetGradLocked(grads[i]);
            }
            foreach (var p in without)
                p.ClearGrad();
            throw;
        }
        finally
        {
            foreach (var g in grads)
            {
                if (g.ReleaseHold())
                    g.DisposeIfUnclaimed();
            }
        }
    }

    /// <summary>Each variable of <paramref name="all"/> once, in the order first given.</summary>
    private static List<Variable> Distinct(List<Variable> all)
    {
        var once = new List<Variable>(all.Count);
        if (all.Count > 16)
        {
            var seen = new HashSet<Variable>(VariableIdentity.Instance);
            foreach (var p in all)
            {
                if (seen.Add(p))
                    once.Add(p);
            }
            return once;
        }
        foreach (var p in all)
        {
            if (once.IndexOf(p) < 0)
                once.Add(p);
        }
        return once;
    }

    /// <summary>
    /// DeZero's <c>update()</c>: updates the parameters of the <see cref="Target"/> set by
    /// <see cref="OptimizerSetup.Setup{TOptimizer}(TOptimizer, Layer)"/>, as <see cref="Update(IEnumerable{Variable})"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No target was set up.</exception>
    /// <exception cref="ArgumentException">The target has no parameters yet, or a gradient does not fit.</exception>
    public void Update()
    {
        var target = Target ?? throw new InvalidOperationException(
            $"{GetType().Name}.Update(): no model to update: call Setup(model) first, or pass the parameters");
        Update(target.Params());
    }

    /// <summary>Updates one parameter, if it has a gradient and is not frozen.</summary>
    /// <exception cref="ArgumentException">The gradient is on another device, of another element type or of another shape than the parameter.</exception>
    /// <exception cref="ObjectDisposedException">The parameter was disposed.</exception>
    public void UpdateOne(Variable parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (parameter.IsDisposed)
            throw parameter.DisposedError(GetType().Name);
        if (parameter.RequiresGrad && parameter.GradInternal is { } grad)
            Step(parameter, grad);
    }

    /// <summary>One update of <paramref name="parameter"/> by its gradient <paramref name="grad"/>.</summary>
    private protected abstract void Step(Variable parameter, Variable grad);

    /// <summary>
    /// One launch of <paramref name="rule"/> over the parameter, its gradient and its states (zeros like the parameter
    /// at its first update), counted as one more step of the parameter.
    /// </summary>
    private protected void Apply<TRule>(Variable parameter, Variable grad, TRule rule)
        where TRule : struct, IUpdateRule
    {
        var state = StateOf(parameter);
        var tensors = state.Tensors(parameter, TRule.States);
        Launch.Update(GetType().Name, parameter.Data, grad.Data, tensors.ElementAtOrDefault(0), tensors.ElementAtOrDefault(1), rule);
        state.Steps++;
    }

    /// <summary>Updates of <paramref name="parameter"/> made so far (Adam's t − 1 for the next one).</summary>
    private protected long StepsOf(Variable parameter) => StateOf(parameter).Steps;

    private ParameterState StateOf(Variable parameter) => states.GetValue(parameter, _ => new ParameterState());

    /// <summary>One parameter's state tensors (made on its first update) and step count.</summary>
    private sealed class ParameterState
    {
        private Tensor[]? tensors;

        public long Steps { get; set; }

        /// <summary>The state tensors, or null before the first update.</summary>
        public Tensor[]? Made
        {
            get => tensors;
            set => tensors = value;
        }

        /// <summary>The state tensors, made as zeros at the first update, moved after their parameter moved.</summary>
        public Tensor[] Tensors(Variable parameter, int count)
        {
            var device = parameter.Data.Device;
            if (tensors is { Length: > 0 } made && !made[0].Device.SharesAcceleratorWith(device))
                tensors = Array.ConvertAll(made, t => MovedTo(t, device));
            return tensors ??= Enumerable.Range(0, count).Select(_ => TensorScope.Detach(device.Zeros(parameter.Shape, parameter.DType))).ToArray();
        }

        private static Tensor MovedTo(Tensor state, Device device)
        {
            var moved = TensorScope.Detach(state.To(device));
            state.Dispose();
            return moved;
        }
    }
}
