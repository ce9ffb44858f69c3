namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>L.RNN</c>: a state h that each call updates, <c>h ← tanh(x·Wx + b + h·Wh)</c> (the first call after
/// <see cref="ResetState"/> without the h term), and returns. Call it once per time step; train with truncated
/// backpropagation through time (<see cref="Variable.UnchainBackward"/> after each stretch).
/// </summary>
public sealed class Rnn : Layer
{
    private readonly Linear x2h, h2h;

    /// <summary>A layer of <paramref name="hiddenSize"/> units; input sizes come from the first call unless given.</summary>
    public Rnn(int hiddenSize, int? inSize = null)
    {
        x2h = Sublayer("x2h", new Linear(hiddenSize, inSize));
        h2h = Sublayer("h2h", new Linear(hiddenSize, noBias: true));
    }

    /// <summary>The state, or null after <see cref="ResetState"/>.</summary>
    public Variable? H { get; private set; }

    /// <summary>Forgets the state (a new sequence starts).</summary>
    public void ResetState() => H = null;

    /// <inheritdoc/>
    protected override void MovedTo(Device device) => ResetState();

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        H = F.Tanh(H is null ? x2h.Call(x) : x2h.Call(x) + h2h.Call(H));
        return H;
    }
}

/// <summary>
/// DeZero's <c>L.LSTM</c>: states h and c that each call updates with forget, input and output gates f, i, o (sigmoids)
/// and a candidate u (tanh) of x and h: <c>c ← f·c + i·u</c>, <c>h ← o·tanh(c)</c> (the first call after
/// <see cref="ResetState"/> without the h terms and with c = i·u); returns h.
/// </summary>
public sealed class Lstm : Layer
{
    private readonly Linear x2f, x2i, x2o, x2u, h2f, h2i, h2o, h2u;

    /// <summary>A layer of <paramref name="hiddenSize"/> units; input sizes come from the first call unless given.</summary>
    public Lstm(int hiddenSize, int? inSize = null)
    {
        x2f = Sublayer("x2f", new Linear(hiddenSize, inSize));
        x2i = Sublayer("x2i", new Linear(hiddenSize, inSize));
        x2o = Sublayer("x2o", new Linear(hiddenSize, inSize));
        x2u = Sublayer("x2u", new Linear(hiddenSize, inSize));
        h2f = Sublayer("h2f", new Linear(hiddenSize, noBias: true));
        h2i = Sublayer("h2i", new Linear(hiddenSize, noBias: true));
        h2o = Sublayer("h2o", new Linear(hiddenSize, noBias: true));
        h2u = Sublayer("h2u", new Linear(hiddenSize, noBias: true));
    }

    /// <summary>The output state, or null after <see cref="ResetState"/>.</summary>
    public Variable? H { get; private set; }

    /// <summary>The cell state, or null after <see cref="ResetState"/>.</summary>
    public Variable? C { get; private set; }

    /// <summary>Forgets both states (a new sequence starts).</summary>
    public void ResetState() => (H, C) = (null, null);

    /// <inheritdoc/>
    protected override void MovedTo(Device device) => ResetState();

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        Variable Gate(Linear fromX, Linear fromH) => H is null ? fromX.Call(x) : fromX.Call(x) + fromH.Call(H);
        var f = F.Sigmoid(Gate(x2f, h2f));
        var i = F.Sigmoid(Gate(x2i, h2i));
        var o = F.Sigmoid(Gate(x2o, h2o));
        var u = F.Tanh(Gate(x2u, h2u));
        C = C is null ? i * u : (f * C) + (i * u);
        H = o * F.Tanh(C);
        return H;
    }
}
