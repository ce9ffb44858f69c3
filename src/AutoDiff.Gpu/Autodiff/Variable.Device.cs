namespace AutoDiff.Gpu;

/// <summary>Moving a variable between devices (DeZero's <c>to_gpu</c> and <c>to_cpu</c>).</summary>
public partial class Variable
{
    /// <summary>
    /// Moves this leaf's data, and its gradient if any, to <paramref name="device"/> in place, as DeZero's
    /// <c>to_gpu</c>/<c>to_cpu</c>, and returns it. The old tensors go back to their pool; nothing happens when the
    /// data is already on that accelerator. Layers holding the variable keep it, so a parameter moves with no change
    /// to the layer or the optimizer (whose state follows at its next update).
    /// </summary>
    /// <exception cref="InvalidOperationException">A function made this variable: its graph would span two
    /// devices.</exception>
    /// <exception cref="ObjectDisposedException">The variable, or the target device, was disposed.</exception>
    public Variable To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (IsDisposed)
            throw DisposedError("To");
        device.ThrowIfDisposed();
        if (Creator is not null)
            throw new InvalidOperationException(
                $"To: {Describe()} on {Device.Id} was made by {Creator.Name}; " +
                "only leaves move between devices (Unchain it first)");
        if (device.SharesAcceleratorWith(Device))
            return this;
        lock (this)
        {
            var moved = data.To(device);
            var g = GradInternal;
            var movedGrad = g is null ? null : new Variable(g.Data.To(device)) { EngineMade = true };
            // The copies live as long as what they replace: in the same scopes, if any.
            TensorScope.MoveTo(moved, data.Scope);
            if (movedGrad is not null)
                TensorScope.MoveTo(movedGrad.Data, g!.Data.Scope);
            var old = data;
            data = moved;
            SetGradLocked(movedGrad);
            old.Dispose();
        }
        return this;
    }
}
