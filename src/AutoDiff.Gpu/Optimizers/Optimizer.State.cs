using System.Reflection;

namespace AutoDiff.Gpu.Optimizers;

/// <summary>
/// An optimizer's state as a checkpoint saves it: hyperparameters, and per parameter its steps and tensors.
/// </summary>
public abstract partial class Optimizer
{
    /// <summary>
    /// The hyperparameters: every public settable double property (<c>Lr</c>, <c>Beta1</c>, …) by name.
    /// </summary>
    internal IReadOnlyList<(string Name, double Value)> Settings() =>
        [.. SettingProperties().Select(p => (p.Name, (double)p.GetValue(this)!))];

    /// <summary>Sets the hyperparameter <paramref name="name"/> (checked by its setter).</summary>
    /// <exception cref="InvalidDataException">This optimizer has no such hyperparameter.</exception>
    internal void SetSetting(string name, double value)
    {
        var property = SettingProperties().FirstOrDefault(p => p.Name == name)
            ?? throw new InvalidDataException($"{GetType().Name} has no hyperparameter '{name}'");
        property.SetValue(this, value);
    }

    /// <summary>
    /// Updates of <paramref name="parameter"/> so far and its state tensors (none before its first update).
    /// </summary>
    internal (long Steps, Tensor[] Tensors) SavedState(Variable parameter) =>
        states.TryGetValue(parameter, out var s) ? (s.Steps, s.Made ?? []) : (0, []);

    /// <summary>
    /// Replaces <paramref name="parameter"/>'s state: its update count and tensors (no scope owns them).
    /// </summary>
    internal void RestoreState(Variable parameter, long steps, Tensor[] tensors)
    {
        var state = StateOf(parameter);
        state.Steps = steps;
        state.Made = tensors.Length == 0 ? null : [.. tensors.Select(TensorScope.Detach)];
    }

    private IEnumerable<PropertyInfo> SettingProperties() =>
        GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(double) && p.CanWrite)
            .OrderBy(p => p.Name, StringComparer.Ordinal);
}
